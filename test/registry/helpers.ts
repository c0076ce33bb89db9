import type { ColumnSchema, Table } from '../../src/core/index.js';
import { featurePipelineFromConfig } from '../../src/features/index.js';
import { LogisticRegression } from '../../src/ml/index.js';
import { buildReference } from '../../src/monitoring/index.js';
import { createPackage, type ModelPackage } from '../../src/registry/index.js';

/** A small, real package: a fitted feature pipeline and logistic regression over two columns. */
export async function tinyPackage(lineage: Partial<ModelPackage['lineage']> = {}): Promise<ModelPackage> {
  const table: Table = {
    rows: 8,
    columns: [
      { name: 'tenure', kind: 'number', values: Float64Array.from([1, 2, 3, 4, 40, 50, 60, 70]) },
      {
        name: 'contract',
        kind: 'string',
        values: ['month', 'month', 'month', 'year', 'year', 'year', 'month', 'year'],
      },
    ],
  };
  const columns: ColumnSchema[] = [
    { name: 'tenure', type: 'integer', nullable: false, min: 1, max: 70 },
    { name: 'contract', type: 'categorical', nullable: false, domain: ['month', 'year'] },
  ];
  const y = ['yes', 'yes', 'yes', 'no', 'no', 'no', 'yes', 'no'];
  const features = featurePipelineFromConfig(undefined, columns, { exclude: [], task: 'binary_classification' });
  await features.fit(table, y);
  const estimator = await new LogisticRegression({ C: 1 }).fit(features.transform(table), y);
  const inputs = features.inputColumns();
  return createPackage({
    algorithm: 'logistic_regression',
    signature: { inputs, task: 'binary_classification', classes: estimator.classes.map(String) },
    features: features.toJSON(),
    estimator: estimator.toJSON(),
    metrics: { roc_auc: 0.9, accuracy: 0.85 },
    reference: buildReference(table, inputs),
    lineage: { runId: null, datasetVersionId: null, pipelineRunId: null, ...lineage },
  });
}

export const tinyRow = { tenure: 3, contract: 'month' };
