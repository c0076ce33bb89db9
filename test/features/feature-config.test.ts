import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseProject, type ColumnSchema, type ProjectConfig, type Table } from '../../src/core/index.js';
import { isCategorical, readCsvTable } from '../../src/data/index.js';
import { FeaturePipeline, featurePipelineFromConfig, selectColumns } from '../../src/features/index.js';

// keel.yaml's `features` section → a feature pipeline: the default recipe exactly as the
// lifecycle builds it today, or the configured steps with their column selectors.

/** A schema as inference gives it: integer/float by value, text categorical when its values repeat. */
function schemaOf(table: Table): ColumnSchema[] {
  return table.columns.map((c): ColumnSchema => {
    if (c.kind === 'number') {
      const integral = c.values.every((v) => Number.isNaN(v) || Number.isInteger(v));
      return { name: c.name, type: integral ? 'integer' : 'float', nullable: c.values.some(Number.isNaN) };
    }
    const present = c.values.filter((v) => v !== null) as string[];
    const distinct = [...new Set(present)].sort();
    return isCategorical(distinct.length, present.length)
      ? { name: c.name, type: 'categorical', nullable: present.length < c.values.length, domain: distinct }
      : { name: c.name, type: 'string', nullable: present.length < c.values.length };
  });
}

/** A `features` section as keel.yaml gives it; transform params are open-ended there, so the schema's type cannot list them. */
const featuresSection = (value: unknown): ProjectConfig['features'] => value as ProjectConfig['features'];

const project = (path: string): ProjectConfig => parseProject(readFileSync(path, 'utf8'), path);
const excluded = (config: ProjectConfig): string[] => [
  config.task.target,
  ...(config.task.idColumn ? [config.task.idColumn] : []),
  ...(config.data.exclude ?? []),
];

let churn: Table;
let churnSchema: ColumnSchema[];
let bike: Table;
let bikeSchema: ColumnSchema[];

beforeAll(async () => {
  churn = await readCsvTable('examples/churn/telco_churn.csv', { missing: ['', ' ', 'NA', '?'] });
  churnSchema = schemaOf(churn);
  bike = await readCsvTable('examples/bike-demand/bike_hour.csv');
  bikeSchema = schemaOf(bike);
});

describe('without steps: the default recipe, as the lifecycle builds it', () => {
  // The columns the lifecycle's role rules picked before feature steps existed.
  const churnRoles = {
    numeric: ['SeniorCitizen', 'tenure', 'MonthlyCharges', 'TotalCharges'],
    categorical: [
      'gender',
      'Partner',
      'Dependents',
      'PhoneService',
      'MultipleLines',
      'InternetService',
      'OnlineSecurity',
      'OnlineBackup',
      'DeviceProtection',
      'TechSupport',
      'StreamingTV',
      'StreamingMovies',
      'Contract',
      'PaperlessBilling',
      'PaymentMethod',
    ],
  };
  const bikeRoles = {
    numeric: ['year', 'holiday', 'workingday', 'temp', 'feelingTemp', 'humidity', 'windspeed'],
    categorical: ['season', 'month', 'hour', 'weekday', 'weathersit'],
  };
  test.each([
    [
      'the churn example (roles from the schema)',
      'examples/churn/keel.yaml',
      () => [churn, churnSchema, churnRoles] as const,
    ],
    [
      'the bike example with numeric and categorical lists instead of its steps',
      'examples/bike-demand/keel.yaml',
      () => [bike, bikeSchema, bikeRoles] as const,
    ],
  ])('%s: the same columns, feature names, signature and numbers', async (_, file, data) => {
    const [table, schema, roles] = data();
    const loaded = project(file);
    const config: ProjectConfig = loaded.features?.steps
      ? { ...loaded, features: { numeric: roles.numeric, categorical: roles.categorical } }
      : loaded;
    const pipeline = featurePipelineFromConfig(config.features, schema, { exclude: excluded(config) });
    expect(pipeline.spec.steps.map((s) => s.columns)).toEqual([roles.numeric, roles.categorical]);

    const today = await new FeaturePipeline({
      numeric: roles.numeric,
      categorical: roles.categorical,
      numericImpute: config.features?.numericImpute ?? 'median',
      scale: config.features?.scale ?? 'standard',
    }).fit(table);
    await pipeline.fit(table);
    expect(pipeline.featureNames).toEqual(today.featureNames);
    expect(pipeline.inputColumns()).toEqual(today.inputColumns());
    expect(pipeline.toJSON()).toEqual(today.toJSON());
    expect(
      Buffer.from(pipeline.transform(table).data.buffer).equals(Buffer.from(today.transform(table).data.buffer)),
    ).toBe(true);
  });

  test('no features section at all is the default recipe over the schema types', () => {
    const pipeline = featurePipelineFromConfig(undefined, churnSchema, { exclude: ['Churn', 'customerID'] });
    const [numeric, categorical] = pipeline.spec.steps;
    expect(numeric.columns).toEqual(['SeniorCitizen', 'tenure', 'MonthlyCharges', 'TotalCharges']);
    expect(numeric.transforms).toEqual([
      { type: 'simple_imputer', strategy: 'median', fillValue: null, addIndicator: false },
      { type: 'standard_scaler', withMean: true, withStd: true },
    ]);
    expect(categorical.columns).toContain('Contract');
    expect(categorical.columns).not.toContain('customerID');
  });

  test('derived columns join the recipe: numbers as numeric, text as categorical', () => {
    const pipeline = featurePipelineFromConfig(
      {
        scale: 'none',
        derived: [
          { name: 'avgCharge', expr: 'TotalCharges / tenure' },
          { name: 'longTenure', expr: 'if(tenure > 24, "yes", "no")' },
        ],
      },
      churnSchema,
      { exclude: ['Churn', 'customerID'] },
    );
    const [numeric, categorical] = pipeline.spec.steps;
    expect(numeric.columns.at(-1)).toBe('avgCharge');
    expect(categorical.columns.at(-1)).toBe('longTenure');
    expect(numeric.transforms).toHaveLength(1);
  });

  test('with numeric/categorical lists, derived columns they leave out are not computed', async () => {
    const pipeline = featurePipelineFromConfig(
      {
        numeric: ['tenure', 'ratio'],
        categorical: ['Contract'],
        derived: [
          { name: 'ratio', expr: 'MonthlyCharges / 10' },
          { name: 'unused', expr: 'TotalCharges * 2' },
        ],
      },
      churnSchema,
      { exclude: ['Churn'] },
    );
    expect(pipeline.spec.derived?.map((d) => d.name)).toEqual(['ratio']);
    await pipeline.fit(churn);
    expect(pipeline.inputColumns().map((c) => c.name)).toEqual(['MonthlyCharges', 'tenure', 'Contract']);
    expect(pipeline.featureNames).toEqual([
      'tenure',
      'ratio',
      'Contract=Month-to-month',
      'Contract=One year',
      'Contract=Two year',
    ]);
  });

  test('a listed column that is not in the dataset is named, as the lifecycle names it', () => {
    expect(() => featurePipelineFromConfig({ numeric: ['tenur'] }, churnSchema, { exclude: [] })).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/^features: column "tenur" is not in the dataset \(columns: customerID, gender/),
        details: { field: 'features' },
      }),
    );
  });
});

describe('with steps: exactly those steps', () => {
  const features = featuresSection({
    derived: [{ name: 'avgCharge', expr: 'if(tenure > 0, TotalCharges / tenure, MonthlyCharges)' }],
    steps: [
      {
        name: 'numbers',
        columns: { type: 'numeric', exclude: ['SeniorCitizen'] },
        transforms: [{ type: 'simple_imputer', strategy: 'median' }, { type: 'robust_scaler' }],
      },
      { columns: { pattern: '^(Contract|Payment)' }, transforms: [{ type: 'one_hot_encoder' }] },
      { columns: ['gender', 'Partner'], transforms: [{ type: 'target_encoder' }] },
    ],
  });

  test('selectors resolve against the schema and the derived columns; other columns are dropped', async () => {
    const pipeline = featurePipelineFromConfig(features, churnSchema, {
      exclude: ['Churn', 'customerID'],
      task: 'binary_classification',
    });
    expect(pipeline.spec.steps.map((s) => s.columns)).toEqual([
      ['tenure', 'MonthlyCharges', 'TotalCharges', 'avgCharge'],
      ['Contract', 'PaymentMethod'],
      ['gender', 'Partner'],
    ]);
    // The task decides a target encoder's target type when the step does not.
    expect(pipeline.spec.steps[2].transforms[0]).toMatchObject({ type: 'target_encoder', targetType: 'binary' });
    await pipeline.fit(churn, churn.columns.find((c) => c.name === 'Churn')!.values);
    expect(pipeline.featureNames.slice(0, 4)).toEqual(['tenure', 'MonthlyCharges', 'TotalCharges', 'avgCharge']);
    expect(pipeline.featureNames.slice(-2)).toEqual(['gender.target', 'Partner.target']);
    expect(pipeline.inputColumns().map((c) => c.name)).not.toContain('SeniorCitizen');
  });

  test('a regression task makes a target encoder continuous', () => {
    const pipeline = featurePipelineFromConfig(
      { steps: [{ columns: ['season'], transforms: [{ type: 'target_encoder' }] }] },
      bikeSchema,
      { exclude: ['count'], task: 'regression' },
    );
    expect(pipeline.spec.steps[0].transforms[0]).toMatchObject({ targetType: 'continuous' });
  });

  test.each([
    [
      { steps: [{ columns: ['tenure', 'Tenure'], transforms: [{ type: 'log' }] }] },
      /^features\.steps\[0\]\.columns: column "Tenure" is not in the dataset \(columns: customerID, gender, SeniorCitizen/,
    ],
    [
      { steps: [{ columns: ['Churn'], transforms: [{ type: 'ordinal_encoder' }] }] },
      'features.steps[0].columns: column "Churn" cannot be a feature (it is the target, the id column or in data.exclude)',
    ],
    [
      { steps: [{ columns: { pattern: '(' }, transforms: [{ type: 'log' }] }] },
      'features.steps[0].columns.pattern: not a regular expression',
    ],
    [
      { numeric: ['tenure'], steps: [{ columns: ['tenure'], transforms: [{ type: 'log' }] }] },
      'features.numeric: applies to the default recipe only',
    ],
    [
      { derived: [{ name: 'tenure', expr: '1' }], steps: [{ columns: ['tenure'], transforms: [] }] },
      'features.derived[0].name: "tenure" is already a column',
    ],
    [
      { derived: [{ name: 'd', expr: 'tenure +' }], steps: [{ columns: ['tenure'], transforms: [] }] },
      'features.derived[0].expr: unexpected end of expression at column 9',
    ],
    [
      { derived: [{ name: 'd', expr: 'tenur * 2' }], steps: [{ columns: ['d'], transforms: [] }] },
      'features.derived[0].expr: unknown column "tenur" (columns: customerID, gender',
    ],
    [
      { steps: [{ columns: ['tenure'], transforms: [{ type: 'k_bins_discretizer', n_bins: 3 }] }] },
      'features.steps[0].transforms[0].n_bins: KBinsDiscretizer has no parameter "n_bins"; its parameters are nBins, strategy, encode',
    ],
  ] as const)('%#: errors name the keel.yaml path', (config, message) => {
    expect(() => featurePipelineFromConfig(featuresSection(config), churnSchema, { exclude: ['Churn'] })).toThrow(
      message,
    );
  });
});

describe('selectColumns', () => {
  const columns: ColumnSchema[] = [
    { name: 'id', type: 'string', nullable: false },
    { name: 'age', type: 'integer', nullable: false },
    { name: 'income', type: 'float', nullable: true },
    { name: 'plan', type: 'categorical', nullable: false, domain: ['a', 'b'] },
    { name: 'active', type: 'boolean', nullable: false },
    { name: 'signup', type: 'datetime', nullable: false },
    { name: 'label', type: 'integer', nullable: false },
  ];
  const exclude = ['id', 'label'];

  test('names, in the order given', () => {
    expect(selectColumns(['plan', 'age'], columns, exclude)).toEqual(['plan', 'age']);
  });

  test.each([
    ['numeric', ['age', 'income']],
    ['categorical', ['plan']],
    ['boolean', ['active']],
    ['datetime', ['signup']],
    ['string', []],
  ] as const)('{ type: %s } in schema order, never an excluded column', (type, expected) => {
    expect(selectColumns({ type }, columns, exclude)).toEqual(expected);
  });

  test('{ pattern } matches anywhere in the name; a selector can exclude more', () => {
    expect(selectColumns({ pattern: 'in' }, columns, exclude)).toEqual(['income']);
    expect(selectColumns({ pattern: '^(a|i|s)' }, columns, exclude)).toEqual(['age', 'income', 'active', 'signup']);
    expect(selectColumns({ type: 'numeric', exclude: ['income'] }, columns, exclude)).toEqual(['age']);
  });

  test('unknown names are errors naming the column and the available ones', () => {
    expect(() => selectColumns(['agee'], columns, exclude, 'features.steps[3].columns')).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message:
          'features.steps[3].columns: column "agee" is not in the dataset (columns: id, age, income, plan, active, signup, label)',
        details: { field: 'features.steps[3].columns', column: 'agee' },
      }),
    );
    expect(() => selectColumns({ type: 'numeric', exclude: ['nope'] }, columns, exclude)).toThrow(
      'columns.exclude: column "nope" is not in the dataset',
    );
    expect(() => selectColumns(['age', 'age'], columns, exclude)).toThrow('column "age" is listed twice');
  });
});
