import { KeelError } from '../core/index.js';
import { describeValue, incompatible } from './transform.js';

/**
 * A transform parameter's default and rule, declared once per transform so that the constructor,
 * keel.yaml (through the pipeline) and `fromJSON` all check the same way and name the offending
 * parameter. Unlike an estimator's, a transform's params may be lists (`featureRange`, `parts`).
 */
export interface TransformParamSpec<T> {
  readonly default: T;
  /** What a valid value looks like, for error messages: "an integer ≥ 2". */
  readonly expected: string;
  readonly check: (value: unknown) => value is T;
}

export type TransformParamSpecs<P> = { readonly [K in keyof P]-?: TransformParamSpec<P[K]> };

/** Every param resolved: what `toJSON().params` holds. */
export type Resolved<P> = { readonly [K in keyof P]-?: Exclude<P[K], undefined> };

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export const tparam = {
  number(defaultValue: number, min?: number): TransformParamSpec<number> {
    return {
      default: defaultValue,
      expected: min === undefined ? 'a number' : `a number ≥ ${min}`,
      check: (v): v is number => isNumber(v) && (min === undefined || v >= min),
    };
  },
  integer(defaultValue: number, min: number): TransformParamSpec<number> {
    return {
      default: defaultValue,
      expected: `an integer ≥ ${min}`,
      check: (v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min,
    };
  },
  boolean(defaultValue: boolean): TransformParamSpec<boolean> {
    return { default: defaultValue, expected: 'true or false', check: (v): v is boolean => typeof v === 'boolean' };
  },
  oneOf<const T extends string>(defaultValue: T, values: readonly T[]): TransformParamSpec<T> {
    return {
      default: defaultValue,
      expected: `one of ${values.map((v) => `"${v}"`).join(', ')}`,
      check: (v): v is T => typeof v === 'string' && (values as readonly string[]).includes(v),
    };
  },
  /** `spec`'s values or null (scikit-learn's None, or NaN where JSON cannot hold it). */
  orNull<T>(spec: TransformParamSpec<T>, defaultValue: T | null = null): TransformParamSpec<T | null> {
    return {
      default: defaultValue,
      expected: `${spec.expected} or null`,
      check: (v): v is T | null => v === null || spec.check(v),
    };
  },
  /** Two increasing numbers `[low, high]` within `[min, max]`. */
  range(
    defaultValue: readonly [number, number],
    min = -Infinity,
    max = Infinity,
  ): TransformParamSpec<[number, number]> {
    const bounds = Number.isFinite(min) ? ` within [${min}, ${max}]` : '';
    return {
      default: [...defaultValue],
      expected: `two increasing numbers [low, high]${bounds}`,
      check: (v): v is [number, number] =>
        Array.isArray(v) && v.length === 2 && v.every(isNumber) && min <= v[0] && v[0] < v[1] && v[1] <= max,
    };
  },
  /** A list of distinct values from `values`. */
  listOf<const T extends string>(
    defaultValue: readonly T[],
    values: readonly T[],
    minItems: number,
  ): TransformParamSpec<T[]> {
    return {
      default: [...defaultValue],
      expected: `a list of ${minItems > 0 ? 'at least one of' : 'any of'} ${values.map((v) => `"${v}"`).join(', ')}, each once`,
      check: (v): v is T[] =>
        Array.isArray(v) &&
        v.length >= minItems &&
        new Set(v).size === v.length &&
        v.every((x) => typeof x === 'string' && (values as readonly string[]).includes(x)),
    };
  },
  custom<T>(defaultValue: T, expected: string, check: (value: unknown) => value is T): TransformParamSpec<T> {
    return { default: defaultValue, expected, check };
  },
};

/**
 * Checks `given` against `specs`, filling defaults. Unknown keys are rejected so a typo such as
 * `fill_value` fails loudly instead of being ignored; errors carry the parameter as `field`.
 */
export function resolveTransformParams<P extends object>(
  type: string,
  specs: TransformParamSpecs<P>,
  given: unknown,
): Resolved<P> {
  const resolved: Record<string, unknown> = {};
  const table = specs as Readonly<Record<string, TransformParamSpec<unknown>>>;
  for (const key of Object.keys(table)) resolved[key] = table[key].default;
  if (given === undefined || given === null) return resolved as Resolved<P>;
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new KeelError('invalid_argument', `${type} params must be an object of name → value`, { field: 'params' });
  }
  for (const [key, value] of Object.entries(given)) {
    if (!Object.hasOwn(table, key)) {
      const known = Object.keys(table);
      throw new KeelError(
        'invalid_argument',
        `${type} has no parameter "${key}"` +
          (known.length ? `; its parameters are ${known.join(', ')}` : '; it takes no parameters'),
        { field: key },
      );
    }
    if (value === undefined) continue;
    const spec = table[key];
    if (!spec.check(value)) throw paramError(type, key, `must be ${spec.expected}, got ${describeValue(value)}`);
    resolved[key] = value;
  }
  return resolved as Resolved<P>;
}

/** An invalid parameter value, e.g. from a check across two parameters. */
export function paramError(type: string, key: string, problem: string): KeelError {
  return new KeelError('invalid_argument', `${type} parameter ${key} ${problem}`, { field: key });
}

/**
 * Builds a transform from its JSON params, reporting a bad parameter as an incompatible package
 * at `path.params.KEY` rather than as a user error.
 */
export function withJSONParams<T>(path: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof KeelError && error.code === 'invalid_argument') {
      const field = typeof error.details.field === 'string' ? `.${error.details.field}` : '';
      throw incompatible(`${path}.params${field}`, `a valid parameter (${error.message})`);
    }
    throw error;
  }
}
