import { KeelError } from '../../core/index.js';
import { show } from '../labels.js';
import type { ParamValue } from '../params.js';
import type { Rng } from '../random.js';
import { ParameterGrid, type ParamGrid } from './parameter-grid.js';

/**
 * A distribution to draw a parameter from. Plain data, so a search space can be written in
 * keel.yaml. Bounds are low and high, not scipy's `uniform(loc, scale)`: `uniform(0.1, 0.5)`
 * draws from [0.1, 0.5].
 */
export type Distribution =
  /** Uniform over [low, high). */
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number }
  /** Log-uniform over [low, high): each decade equally likely, for rates and regularisation strengths. */
  | { readonly kind: 'loguniform'; readonly low: number; readonly high: number }
  /** A uniform integer in [low, high), high excluded as in scipy's randint. */
  | { readonly kind: 'randint'; readonly low: number; readonly high: number };

function bounds(kind: Distribution['kind'], low: number, high: number, field: string = kind): Distribution {
  if (kind !== 'uniform' && kind !== 'loguniform' && kind !== 'randint') {
    throw new KeelError(
      'invalid_argument',
      `${field}: unknown distribution ${show(kind)}; use uniform, loguniform or randint`,
      {
        field,
      },
    );
  }
  const ok =
    Number.isFinite(low) &&
    Number.isFinite(high) &&
    low < high &&
    (kind !== 'loguniform' || low > 0) &&
    (kind !== 'randint' || (Number.isSafeInteger(low) && Number.isSafeInteger(high)));
  if (!ok) {
    const rule = kind === 'loguniform' ? '0 < low < high' : kind === 'randint' ? 'integers low < high' : 'low < high';
    throw new KeelError('invalid_argument', `${field}: ${kind}(${show(low)}, ${show(high)}) needs ${rule}`, { field });
  }
  return { kind, low, high };
}

export const uniform = (low: number, high: number): Distribution => bounds('uniform', low, high);
export const loguniform = (low: number, high: number): Distribution => bounds('loguniform', low, high);
export const randint = (low: number, high: number): Distribution => bounds('randint', low, high);

function isDistribution(value: unknown): value is Distribution {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'kind' in value;
}

function draw(distribution: Distribution, rng: Rng): number {
  const { kind, low, high } = distribution;
  if (kind === 'uniform') return low + (high - low) * rng.nextFloat();
  if (kind === 'randint') return low + rng.nextInt(high - low);
  return Math.exp(Math.log(low) + (Math.log(high) - Math.log(low)) * rng.nextFloat());
}

/** Lists to pick from (uniformly) or distributions to draw from, per parameter. */
export type ParamDistributions<P = Record<string, ParamValue>> = {
  readonly [K in keyof P]?: readonly P[K][] | Distribution;
};

type Space = ReadonlyArray<readonly [string, readonly ParamValue[] | Distribution]>;

function spaceOf(space: unknown, field: string): Space {
  if (typeof space !== 'object' || space === null || Array.isArray(space)) {
    throw new KeelError('invalid_argument', `${field} must be an object of parameter name → values or distribution`, {
      field,
    });
  }
  return Object.keys(space)
    .sort()
    .map((key) => {
      const value: unknown = (space as Record<string, unknown>)[key];
      if (isDistribution(value)) return [key, bounds(value.kind, value.low, value.high, `${field}.${key}`)] as const;
      if (!Array.isArray(value) || value.length === 0) {
        throw new KeelError(
          'invalid_argument',
          `${field}.${key} must be a non-empty array of values or a distribution (uniform, loguniform, randint)`,
          { field: `${field}.${key}` },
        );
      }
      return [key, value as ParamValue[]] as const;
    });
}

/**
 * `nIter` parameter settings drawn from the distributions (scikit-learn's `ParameterSampler`).
 * When every parameter is a list, settings are drawn from the grid without replacement, and
 * at most the grid's size are returned; otherwise each draw is independent.
 */
export function sampleParameters<P>(
  distributions: ParamDistributions<P> | readonly ParamDistributions<P>[],
  nIter: number,
  rng: Rng,
  field = 'paramDistributions',
): Partial<P>[] {
  const list = Array.isArray(distributions) ? distributions : [distributions];
  if (list.length === 0) throw new KeelError('invalid_argument', `${field} has no entry`, { field });
  const spaces = list.map((space, i) => spaceOf(space, Array.isArray(distributions) ? `${field}[${i}]` : field));
  if (spaces.every((space) => space.every(([, value]) => Array.isArray(value)))) {
    // Every value is a list, so the spaces are grids.
    const grid = new ParameterGrid<P>(list as unknown as readonly ParamGrid<P>[], field);
    return sampleWithoutReplacement(grid.size, Math.min(nIter, grid.size), rng).map((i) => grid.at(i));
  }
  const out: Partial<P>[] = [];
  for (let i = 0; i < nIter; i++) {
    const space = spaces[spaces.length === 1 ? 0 : rng.nextInt(spaces.length)];
    const params: Record<string, ParamValue> = {};
    for (const [key, value] of space) {
      params[key] = isDistribution(value)
        ? draw(value, rng)
        : (value as readonly ParamValue[])[rng.nextInt(value.length)];
    }
    out.push(params as Partial<P>);
  }
  return out;
}

/** k distinct integers from 0 … n−1 in random order (Floyd's algorithm, O(k) for any n). */
function sampleWithoutReplacement(n: number, k: number, rng: Rng): number[] {
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = rng.nextInt(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return rng.shuffle([...chosen]);
}
