import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { rowAt, type DenseMatrix, type Table } from '../../src/core/index.js';
import { readCsvTable } from '../../src/data/index.js';
import { FeaturePipeline, type FeaturePipelineConfig } from '../../src/features/index.js';

const config: FeaturePipelineConfig = {
  numeric: ['tenure', 'MonthlyCharges', 'TotalCharges'],
  categorical: ['gender', 'SeniorCitizen', 'Partner', 'InternetService', 'Contract', 'PaymentMethod'],
  numericImpute: 'median',
  scale: 'standard',
};

let churn: Table;
let pipeline: FeaturePipeline;

beforeAll(async () => {
  churn = await readCsvTable('examples/churn/telco_churn.csv');
  pipeline = await new FeaturePipeline(config).fit(churn);
});

describe('FeaturePipeline on the churn data', () => {
  test('numeric columns first, then the sorted categories of each categorical column', () => {
    expect(pipeline.featureNames).toEqual([
      'tenure',
      'MonthlyCharges',
      'TotalCharges',
      'gender=Female',
      'gender=Male',
      'SeniorCitizen=0',
      'SeniorCitizen=1',
      'Partner=No',
      'Partner=Yes',
      'InternetService=DSL',
      'InternetService=Fiber optic',
      'InternetService=No',
      'Contract=Month-to-month',
      'Contract=One year',
      'Contract=Two year',
      'PaymentMethod=Bank transfer (automatic)',
      'PaymentMethod=Credit card (automatic)',
      'PaymentMethod=Electronic check',
      'PaymentMethod=Mailed check',
    ]);
  });

  test('transform gives a row-major matrix: scaled numbers, imputed gaps, one-hot categories', () => {
    const matrix = pipeline.transform(churn);
    expect(matrix.rows).toBe(7043);
    expect(matrix.cols).toBe(19);
    const column = (j: number): number[] =>
      Array.from({ length: matrix.rows }, (_, i) => matrix.data[i * matrix.cols + j]);
    for (let j = 0; j < 3; j++) {
      const values = column(j);
      expect(values.every(Number.isFinite)).toBe(true);
      expect(Math.abs(values.reduce((a, b) => a + b, 0) / values.length)).toBeLessThan(0.01);
    }
    for (let j = 3; j < matrix.cols; j++) expect(column(j).every((x) => x === 0 || x === 1)).toBe(true);
    // Each categorical column sets exactly one of its indicators per row.
    const contract = [12, 13, 14].map(column);
    expect(contract[0].every((_, i) => contract[0][i] + contract[1][i] + contract[2][i] === 1)).toBe(true);
  });

  test('the batch and single-row paths are bit-identical on all 7,043 rows', () => {
    const matrix = pipeline.transform(churn);
    let compared = 0;
    for (let i = 0; i < churn.rows; i++) {
      const row = pipeline.transformRow(rowAt(churn, i));
      for (let j = 0; j < matrix.cols; j++) {
        if (!Object.is(row[j], matrix.data[i * matrix.cols + j])) {
          throw new Error(
            `row ${i}, feature ${pipeline.featureNames[j]}: ${row[j]} vs ${matrix.data[i * matrix.cols + j]}`,
          );
        }
        compared++;
      }
    }
    expect(compared).toBe(7043 * 19);
  });

  test('transformRowInto writes the same vectors into one matrix, each at its offset, touching nothing else', () => {
    const matrix = pipeline.transform(churn);
    const width = matrix.cols;
    const out = new Float64Array((churn.rows + 2) * width).fill(-7);
    for (let i = 0; i < churn.rows; i++) pipeline.transformRowInto(rowAt(churn, i), out, (i + 1) * width);
    expect(out.subarray(0, width).every((x) => x === -7)).toBe(true);
    expect(out.subarray((churn.rows + 1) * width).every((x) => x === -7)).toBe(true);
    expect(Buffer.from(out.buffer, width * 8, churn.rows * width * 8).equals(Buffer.from(matrix.data.buffer))).toBe(
      true,
    );
  });

  test('a JSON round trip gives identical output, without refitting', () => {
    const restored = FeaturePipeline.fromJSON(JSON.parse(JSON.stringify(pipeline.toJSON())));
    expect(restored.featureNames).toEqual(pipeline.featureNames);
    expect(restored.inputColumns()).toEqual(pipeline.inputColumns());
    expect(restored.transform(churn).data).toEqual(pipeline.transform(churn).data);
    expect(restored.toJSON()).toEqual(pipeline.toJSON());
  });

  test('inputColumns is the signature serving validates against', () => {
    const inputs = pipeline.inputColumns();
    expect(inputs.find((c) => c.name === 'tenure')).toEqual({ name: 'tenure', type: 'integer', nullable: true });
    expect(inputs.find((c) => c.name === 'TotalCharges')).toEqual({
      name: 'TotalCharges',
      type: 'float',
      nullable: true,
    });
    expect(inputs.find((c) => c.name === 'Contract')).toEqual({
      name: 'Contract',
      type: 'categorical',
      nullable: true,
      domain: ['Month-to-month', 'One year', 'Two year'],
    });
    expect(inputs.find((c) => c.name === 'SeniorCitizen')?.domain).toEqual(['0', '1']);
  });

  test('a request row: missing values are imputed, unknown categories encode as zeros, extra fields are ignored', () => {
    const names = pipeline.featureNames;
    const median = pipeline.transformRow({ TotalCharges: null, customerID: 'x' })[names.indexOf('TotalCharges')];
    expect(median).toBeCloseTo(pipeline.transformRow({ TotalCharges: 1397.475 })[names.indexOf('TotalCharges')], 12);
    const row = pipeline.transformRow({ Contract: 'Weekly', SeniorCitizen: 1 });
    expect(names.filter((_, j) => j >= 3 && row[j] === 1)).toEqual([
      'gender=Male',
      'SeniorCitizen=1',
      'Partner=No',
      'InternetService=Fiber optic',
      'PaymentMethod=Electronic check',
    ]);
  });

  test('text in a numeric field is rejected, naming the field', () => {
    expect(() => pipeline.transformRow({ tenure: 'abc' })).toThrow('field "tenure": expected a number, got "abc"');
  });
});

describe('FeaturePipeline contract', () => {
  test('an unfitted pipeline refuses to transform or serialise', () => {
    const unfitted = new FeaturePipeline(config);
    expect(() => unfitted.transform(churn)).toThrow(/not fitted/);
    expect(() => unfitted.toJSON()).toThrow(/not fitted/);
  });

  test('fitting on a table without a configured column names it', async () => {
    await expect(new FeaturePipeline({ numeric: ['nope'], categorical: [] }).fit(churn)).rejects.toThrow(
      'the table has no feature column "nope"',
    );
  });

  test('a numeric feature holding text is refused', async () => {
    await expect(new FeaturePipeline({ numeric: ['Contract'], categorical: [] }).fit(churn)).rejects.toMatchObject({
      code: 'invalid_data',
      details: { field: 'Contract' },
    });
  });

  test('scale: none and mean imputation', async () => {
    const plain = await new FeaturePipeline({
      numeric: ['TotalCharges'],
      categorical: [],
      numericImpute: 'mean',
      scale: 'none',
    }).fit(churn);
    const mean = 2283.3004408418697;
    expect(plain.transformRow({ TotalCharges: null })[0]).toBeCloseTo(mean, 9);
    expect(plain.transformRow({ TotalCharges: 10 })[0]).toBe(10);
  });

  test('fromJSON refuses other formats and tampered state', () => {
    expect(() => FeaturePipeline.fromJSON({ format: 'other' })).toThrow(
      /not a Keel feature pipeline of version 1 or 2 \(format other/,
    );
    const json = JSON.parse(JSON.stringify(pipeline.toJSON())) as { featureNames: string[] };
    json.featureNames.pop();
    expect(() => FeaturePipeline.fromJSON(json)).toThrow(/\$\.featureNames should be/);

    const renamed = JSON.parse(JSON.stringify(pipeline.toJSON())) as {
      steps: Array<{ transforms: Array<{ state: { columns: Array<{ name: string }> } }> }>;
    };
    renamed.steps[0].transforms[1].state.columns[0].name = 'renamed';
    expect(() => FeaturePipeline.fromJSON(renamed)).toThrow(
      'feature pipeline JSON: $.steps[0].transforms[1].state should be fitted on tenure, MonthlyCharges, TotalCharges',
    );

    const retyped = JSON.parse(JSON.stringify(pipeline.toJSON())) as { inputs: Array<{ type: string }> };
    retyped.inputs[0].type = 'categorical';
    expect(() => FeaturePipeline.fromJSON(retyped)).toThrow(/\$\.inputs\[0\]\.type should be/);
  });
});

/** sha256 of a matrix's bytes: the churn output of the version-1 code, recorded before the general pipeline. */
const digest = (m: DenseMatrix): string =>
  createHash('sha256')
    .update(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength))
    .digest('hex');
const VERSION_1_OUTPUT = '86297032ea4e6448e2f8cfdfac3426c8f531c7d50bebd7f43b15e2b7dcebe1b0';

describe('version-1 packages (the fixed numeric/categorical recipe)', () => {
  // Written by the version-1 code: new FeaturePipeline(config).fit(all 7,043 churn rows).toJSON().
  const v1 = (): Record<string, unknown> =>
    JSON.parse(readFileSync('test/fixtures/features/churn-pipeline-v1.json', 'utf8')) as Record<string, unknown>;

  test('load and give bit for bit the output the version-1 code gave', () => {
    const restored = FeaturePipeline.fromJSON(v1());
    expect(digest(restored.transform(churn))).toBe(VERSION_1_OUTPUT);
    expect(restored.featureNames).toEqual(v1().featureNames);
    expect(restored.inputColumns()).toEqual(v1().inputs);
    for (const i of [0, 488, 7042])
      expect(restored.transformRow(rowAt(churn, i))).toEqual(pipeline.transformRow(rowAt(churn, i)));
  });

  test('the same recipe fitted today gives the same numbers, and saves as version 2', async () => {
    const today = await new FeaturePipeline(config).fit(churn);
    expect(digest(today.transform(churn))).toBe(VERSION_1_OUTPUT);
    const json = FeaturePipeline.fromJSON(v1()).toJSON();
    expect(json.version).toBe(2);
    expect(json.steps).toEqual(today.toJSON().steps);
    expect(FeaturePipeline.fromJSON(JSON.parse(JSON.stringify(json))).toJSON()).toEqual(json);
  });

  test('tampered version-1 JSON is refused with its own paths', () => {
    const renamed = v1() as { branches: Array<{ steps: Array<{ state: { columns: Array<{ name: string }> } }> }> };
    renamed.branches[0].steps[1].state.columns[0].name = 'renamed';
    expect(() => FeaturePipeline.fromJSON(renamed)).toThrow(
      'feature pipeline JSON: $.branches[0].steps[1].state should be fitted on tenure, MonthlyCharges, TotalCharges',
    );
    const reordered = v1() as { branches: Array<{ steps: unknown[] }> };
    reordered.branches[1].steps.reverse();
    expect(() => FeaturePipeline.fromJSON(reordered)).toThrow(
      '$.branches[1].steps should be SimpleImputer → OneHotEncoder',
    );
  });
});
