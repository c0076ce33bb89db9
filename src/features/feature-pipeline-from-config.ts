import { KeelError, type ColumnSchema, type ProjectConfig, type TaskType } from '../core/index.js';
import { bindExpression, parseExpression, type ValueType } from './expression.js';
import { defaultRecipe, FeaturePipeline, type DerivedColumnSpec, type FeatureStepSpec } from './feature-pipeline.js';
import { selectColumns } from './select-columns.js';
import type { TransformSpec } from './transform-registry.js';

export interface FeatureConfigOptions {
  /** Columns that are never features: the target, the id column and `data.exclude`. */
  readonly exclude: readonly string[];
  /** The task: a target encoder without a `targetType` takes the task's (regression → continuous). */
  readonly task?: TaskType;
}

const TARGET_TYPES: Readonly<Record<TaskType, string>> = {
  binary_classification: 'binary',
  multiclass_classification: 'multiclass',
  regression: 'continuous',
};

/**
 * The (unfitted) feature pipeline of keel.yaml's `features` section over a dataset schema.
 *
 * With `steps`, exactly those steps, their selectors resolved against the schema and the derived
 * columns; columns no step selects are dropped. Without `steps`, the default recipe: numeric
 * columns → impute (`numericImpute`, default median) → standard-scale (unless `scale: none`);
 * categorical columns → impute (most frequent) → one-hot (unknown → all zeros). Its columns are
 * picked as the lifecycle's `featureRoles` picks them: the `numeric`/`categorical` lists when
 * given (other columns are dropped), otherwise integer, float and boolean columns as numeric and
 * categorical ones as categorical, in schema order, never the `exclude` columns. Derived columns
 * join the recipe after the schema's columns (numbers as numeric, text as categorical), unless
 * the lists leave them out. Derived columns no step uses are not computed.
 */
export function featurePipelineFromConfig(
  features: ProjectConfig['features'] | undefined,
  columns: readonly ColumnSchema[],
  options: FeatureConfigOptions,
): FeaturePipeline {
  const derived = features?.derived ?? [];
  const derivedColumns = derivedSchema(derived, columns);
  const all = [...columns, ...derivedColumns];
  let steps: FeatureStepSpec[];
  if (features?.steps) {
    for (const key of ['numeric', 'categorical', 'numericImpute', 'scale'] as const) {
      if (features[key] !== undefined) {
        throw new KeelError(
          'invalid_config',
          `features.${key}: applies to the default recipe only; with features.steps, say it in a step`,
          { field: `features.${key}` },
        );
      }
    }
    steps = features.steps.map((step, i) => ({
      ...(step.name === undefined ? {} : { name: step.name }),
      columns: selectColumns(step.columns, all, options.exclude, `features.steps[${i}].columns`),
      transforms: step.transforms.map((t) => withTaskTargetType(t, options.task)),
    }));
  } else {
    steps = [...defaultRecipe({ ...featureRoles(features, all, options.exclude), ...recipeSettings(features) }).steps];
  }
  return new FeaturePipeline({ derived: usedDerived(derived, steps), steps }, { path: 'features' });
}

function recipeSettings(features: ProjectConfig['features'] | undefined) {
  return { numericImpute: features?.numericImpute ?? 'median', scale: features?.scale ?? 'standard' } as const;
}

/** The default recipe's columns, exactly as the lifecycle's `featureRoles` chooses them. */
function featureRoles(
  features: ProjectConfig['features'] | undefined,
  columns: readonly ColumnSchema[],
  exclude: readonly string[],
): { numeric: string[]; categorical: string[] } {
  const names = new Set(columns.map((c) => c.name));
  for (const listed of [...(features?.numeric ?? []), ...(features?.categorical ?? [])]) {
    if (!names.has(listed)) {
      throw new KeelError(
        'invalid_config',
        `features: column "${listed}" is not in the dataset (columns: ${[...names].join(', ')})`,
        { field: 'features' },
      );
    }
  }
  const numeric: string[] = [];
  const categorical: string[] = [];
  for (const c of columns) {
    if (exclude.includes(c.name)) continue;
    if (features?.numeric?.includes(c.name)) numeric.push(c.name);
    else if (features?.categorical?.includes(c.name)) categorical.push(c.name);
    else if (features?.numeric || features?.categorical) continue;
    else if (c.type === 'integer' || c.type === 'float' || c.type === 'boolean') numeric.push(c.name);
    else if (c.type === 'categorical') categorical.push(c.name);
  }
  return { numeric, categorical };
}

/**
 * Derived columns as schema columns, so selectors can pick them: numbers are `float`, text is
 * `categorical`. Expressions are parsed and type-checked here, so a mistake is reported before
 * any data is read.
 */
function derivedSchema(derived: readonly DerivedColumnSpec[], columns: readonly ColumnSchema[]): ColumnSchema[] {
  const types = new Map<string, ValueType>(
    columns.map((c) => [
      c.name,
      c.type === 'integer' || c.type === 'float' || c.type === 'boolean' ? 'number' : 'string',
    ]),
  );
  return derived.map((d, i): ColumnSchema => {
    const at = `features.derived[${i}]`;
    if (types.has(d.name)) {
      throw new KeelError('invalid_config', `${at}.name: "${d.name}" is already a column`, { field: `${at}.name` });
    }
    const parsed = parseExpression(d.expr, `${at}.expr`);
    const { type } = bindExpression(
      parsed,
      (c) => types.get(c),
      `${at}.expr`,
      () => [...types.keys()],
    );
    types.set(d.name, type);
    return { name: d.name, type: type === 'number' ? 'float' : 'categorical', nullable: true };
  });
}

/** The derived columns the steps read, directly or through other derived columns, in their order. */
function usedDerived(derived: readonly DerivedColumnSpec[], steps: readonly FeatureStepSpec[]): DerivedColumnSpec[] {
  const needed = new Set(steps.flatMap((s) => s.columns));
  for (let i = derived.length - 1; i >= 0; i--) {
    if (needed.has(derived[i].name)) for (const c of parseExpression(derived[i].expr, '').columns) needed.add(c);
  }
  return derived.filter((d) => needed.has(d.name));
}

function withTaskTargetType(spec: TransformSpec, task: TaskType | undefined): TransformSpec {
  if (spec.type !== 'target_encoder' || !task || spec.targetType !== undefined) return spec;
  return { ...spec, targetType: TARGET_TYPES[task] };
}
