import { KeelError, type ColumnSchema, type ColumnSelectorConfig, type ColumnType } from '../core/index.js';

/** The schema types each `{ type }` selector takes. */
const SELECTOR_TYPES: Readonly<Record<string, readonly ColumnType[]>> = {
  numeric: ['integer', 'float'],
  categorical: ['categorical'],
  boolean: ['boolean'],
  datetime: ['datetime'],
  string: ['string'],
};

/**
 * The columns a feature step's selector picks from a dataset schema: a list of names (in that
 * order), every column of a type (`{ type: numeric }` is integer and float columns), or every
 * column whose name matches a regular expression (`{ pattern }`, unanchored, as scikit-learn's
 * `make_column_selector`); the last two in schema order, without their own `exclude` list.
 * `exclude` (the target, the id column, `data.exclude`) is never picked by type or pattern, and
 * naming one of those columns is an error. Errors are `invalid_config` at `path`, naming the
 * column and listing the available ones.
 */
export function selectColumns(
  selector: ColumnSelectorConfig,
  columns: readonly ColumnSchema[],
  exclude: readonly string[],
  path = 'columns',
): string[] {
  const known = (name: string, at: string): void => {
    if (!columns.some((c) => c.name === name)) {
      throw new KeelError(
        'invalid_config',
        `${at}: column "${name}" is not in the dataset (columns: ${columns.map((c) => c.name).join(', ')})`,
        { field: at, column: name },
      );
    }
  };
  if (Array.isArray(selector)) {
    const seen = new Set<string>();
    for (const name of selector as readonly string[]) {
      known(name, path);
      if (exclude.includes(name)) {
        throw new KeelError(
          'invalid_config',
          `${path}: column "${name}" cannot be a feature (it is the target, the id column or in data.exclude)`,
          { field: path, column: name },
        );
      }
      if (seen.has(name)) {
        throw new KeelError('invalid_config', `${path}: column "${name}" is listed twice`, {
          field: path,
          column: name,
        });
      }
      seen.add(name);
    }
    return [...selector];
  }
  const skip = selector.exclude ?? [];
  for (const name of skip) known(name, `${path}.exclude`);
  let matches: (column: ColumnSchema) => boolean;
  if ('type' in selector) {
    const types = SELECTOR_TYPES[selector.type];
    matches = (c) => types.includes(c.type);
  } else {
    let pattern: RegExp;
    try {
      pattern = new RegExp(selector.pattern);
    } catch (error) {
      throw new KeelError(
        'invalid_config',
        `${path}.pattern: not a regular expression (${error instanceof Error ? error.message : String(error)})`,
        { field: `${path}.pattern` },
      );
    }
    matches = (c) => pattern.test(c.name);
  }
  return columns.filter((c) => matches(c) && !exclude.includes(c.name) && !skip.includes(c.name)).map((c) => c.name);
}
