import { KeelError } from '../../core/index.js';
import type { ParamValue } from '../params.js';

/** Values to try for each parameter: `{ maxDepth: [2, 4, 8], criterion: ['gini', 'entropy'] }`. */
export type ParamGrid<P = Record<string, ParamValue>> = { readonly [K in keyof P]?: readonly P[K][] };

type Axes = ReadonlyArray<readonly [string, readonly ParamValue[]]>;

/**
 * Every combination of one or more grids, in scikit-learn's `ParameterGrid` order: grids in
 * turn, keys sorted by name, the last key varying fastest. The same order means the same
 * candidate wins a tie as in scikit-learn. Combinations are computed by index, never all
 * held in memory, so a sampler can draw from a huge grid.
 */
export class ParameterGrid<P = Record<string, ParamValue>> {
  private readonly grids: Axes[];
  private readonly sizes: number[];

  // NoInfer: P comes from the type argument or defaults to any params, never from the grid's shape.
  constructor(grid: NoInfer<ParamGrid<P>> | readonly NoInfer<ParamGrid<P>>[], field = 'paramGrid') {
    const grids = Array.isArray(grid) ? (grid as readonly ParamGrid<P>[]) : [grid as ParamGrid<P>];
    if (grids.length === 0) throw new KeelError('invalid_argument', `${field} has no grid`, { field });
    this.grids = grids.map((one, g) => axesOf(one, Array.isArray(grid) ? `${field}[${g}]` : field));
    this.sizes = this.grids.map((axes) => axes.reduce((size, [, values]) => size * values.length, 1));
  }

  /** Number of combinations. */
  get size(): number {
    return this.sizes.reduce((a, b) => a + b, 0);
  }

  /** The combination at `index` (0 ≤ index < size). */
  at(index: number): Partial<P> {
    let rest = index;
    for (let g = 0; g < this.grids.length; g++) {
      if (rest >= this.sizes[g]) {
        rest -= this.sizes[g];
        continue;
      }
      const params: Record<string, ParamValue> = {};
      const axes = this.grids[g];
      for (let a = axes.length - 1; a >= 0; a--) {
        const [key, values] = axes[a];
        params[key] = values[rest % values.length];
        rest = Math.floor(rest / values.length);
      }
      // Keys in sorted order, as they were declared to the search.
      return Object.fromEntries(axes.map(([key]) => [key, params[key]])) as Partial<P>;
    }
    throw new RangeError(`grid index ${index} is outside 0 … ${this.size - 1}`);
  }

  *[Symbol.iterator](): Iterator<Partial<P>> {
    for (let i = 0; i < this.size; i++) yield this.at(i);
  }
}

function axesOf(grid: unknown, field: string): Axes {
  if (typeof grid !== 'object' || grid === null || Array.isArray(grid)) {
    throw new KeelError('invalid_argument', `${field} must be an object of parameter name → values to try`, {
      field,
    });
  }
  const keys = Object.keys(grid).sort();
  return keys.map((key) => {
    const values: unknown = (grid as Record<string, unknown>)[key];
    if (!Array.isArray(values) || values.length === 0) {
      throw new KeelError('invalid_argument', `${field}.${key} must be a non-empty array of values to try`, {
        field: `${field}.${key}`,
      });
    }
    return [key, values as ParamValue[]] as const;
  });
}
