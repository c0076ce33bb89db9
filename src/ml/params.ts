import { KeelError } from '../core/index.js';
import { show } from './labels.js';

/** A hyperparameter value: JSON primitives only, so params travel through keel.yaml, runs and packages. */
export type ParamValue = number | string | boolean | null;

/**
 * One hyperparameter's default and rule. Declared per estimator so that construction,
 * `setParams`, `createEstimator` from keel.yaml and `fromJSON` all validate the same way and
 * name the offending parameter.
 */
export interface ParamSpec<T extends ParamValue> {
  readonly default: T;
  /** What a valid value looks like, for error messages: "an integer ≥ 1 or null". */
  readonly expected: string;
  readonly check: (value: unknown) => value is T;
}

export type ParamSpecs<P> = { readonly [K in keyof P]-?: P[K] extends ParamValue ? ParamSpec<P[K]> : never };

interface NumberBounds {
  readonly min?: number;
  /** Strict lower bound, for parameters like `C` that must be positive. */
  readonly above?: number;
  readonly max?: number;
}

function describeBounds(kind: string, { min, above, max }: NumberBounds): string {
  const parts = [kind];
  if (min !== undefined) parts.push(`≥ ${min}`);
  if (above !== undefined) parts.push(`> ${above}`);
  if (max !== undefined) parts.push(`≤ ${max}`);
  return parts.join(' ');
}

function inBounds(value: number, { min, above, max }: NumberBounds): boolean {
  return (
    (min === undefined || value >= min) && (above === undefined || value > above) && (max === undefined || value <= max)
  );
}

/** Builders for the common parameter kinds. */
export const param = {
  number(defaultValue: number, bounds: NumberBounds = {}): ParamSpec<number> {
    return {
      default: defaultValue,
      expected: describeBounds('a number', bounds),
      check: (v): v is number => typeof v === 'number' && Number.isFinite(v) && inBounds(v, bounds),
    };
  },
  integer(defaultValue: number, bounds: NumberBounds = {}): ParamSpec<number> {
    return {
      default: defaultValue,
      expected: describeBounds('an integer', bounds),
      check: (v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && inBounds(v, bounds),
    };
  },
  boolean(defaultValue: boolean): ParamSpec<boolean> {
    return { default: defaultValue, expected: 'true or false', check: (v): v is boolean => typeof v === 'boolean' };
  },
  oneOf<const T extends string>(defaultValue: T, values: readonly T[]): ParamSpec<T> {
    return {
      default: defaultValue,
      expected: `one of ${values.map((v) => `"${v}"`).join(', ')}`,
      check: (v): v is T => typeof v === 'string' && (values as readonly string[]).includes(v),
    };
  },
  /** `spec`'s values or null, with null meaning "no limit" or "all" as in scikit-learn's None. */
  orNull<T extends ParamValue>(spec: ParamSpec<T>, defaultValue: T | null = null): ParamSpec<T | null> {
    return {
      default: defaultValue,
      expected: `${spec.expected} or null`,
      check: (v): v is T | null => v === null || spec.check(v),
    };
  },
  custom<T extends ParamValue>(defaultValue: T, expected: string, check: (value: unknown) => value is T): ParamSpec<T> {
    return { default: defaultValue, expected, check };
  },
};

/**
 * Validates `given` against `specs` on top of `base` (the defaults when omitted). Unknown
 * keys are rejected so that a typo such as `max_depth` fails loudly instead of being ignored.
 * An `undefined` value leaves the parameter as it was.
 */
export function resolveParams<P extends Record<string, ParamValue>>(
  algorithm: string,
  specs: ParamSpecs<P>,
  given: unknown,
  base?: P,
): P {
  const resolved: Record<string, ParamValue> = {};
  for (const key of Object.keys(specs)) resolved[key] = base ? base[key] : specs[key].default;
  if (given === undefined || given === null) return resolved as P;
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new KeelError('invalid_argument', `${algorithm} params must be an object of name → value`, {
      field: 'params',
    });
  }
  for (const [key, value] of Object.entries(given)) {
    if (!Object.hasOwn(specs, key)) {
      throw new KeelError(
        'invalid_argument',
        `${algorithm} has no parameter "${key}"; its parameters are ${Object.keys(specs).join(', ')}`,
        { field: key },
      );
    }
    if (value === undefined) continue;
    const spec = specs[key];
    if (!spec.check(value)) {
      throw new KeelError(
        'invalid_argument',
        `${algorithm} parameter ${key} must be ${spec.expected}, got ${show(value)}`,
        { field: key, expected: spec.expected },
      );
    }
    resolved[key] = value;
  }
  return resolved as P;
}
