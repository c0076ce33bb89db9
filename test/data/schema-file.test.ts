import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KeelError, type DataSchema } from '../../src/core/index.js';
import {
  formatSchemaFile,
  parseSchemaFile,
  readSchemaFile,
  schemaFileFormat,
  writeSchemaFile,
} from '../../src/data/index.js';

const schema: DataSchema = {
  columns: [
    { name: 'customerID', type: 'string', nullable: false },
    { name: 'tenure', type: 'integer', nullable: false, min: 0, max: 72 },
    { name: 'TotalCharges', type: 'float', nullable: true, min: 18.8, max: 8684.8 },
    { name: 'Contract', type: 'categorical', nullable: false, domain: ['Month-to-month', 'One year', 'Two year'] },
    // Category names that YAML would read as other types unless quoted.
    { name: 'Code', type: 'categorical', nullable: true, domain: ['0', '1', 'true', 'null', 'a: b', '1e3'] },
    { name: 'signup', type: 'datetime', nullable: true },
    { name: 'active', type: 'boolean', nullable: false },
  ],
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keel-schema-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The churn schema's YAML with one line replaced, parsed; returns the error's message. */
function errorOf(text: string): KeelError {
  try {
    parseSchemaFile(text, 'schema.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(KeelError);
    expect((error as KeelError).code).toBe('invalid_config');
    return error as KeelError;
  }
  throw new Error('expected the schema file to be refused');
}

const yaml = formatSchemaFile({ dataset: 'churn', basedOn: 2, schema }, 'yaml', 'Schema of churn@2.');

describe('schema files', () => {
  test('YAML: a header comment, one entry per column, domains on one line', () => {
    expect(yaml).toContain('# Schema of churn@2.\n');
    expect(yaml).toContain(
      [
        'dataset: churn',
        'basedOn: 2',
        'columns:',
        '  - name: customerID',
        '    type: string',
        '    nullable: false',
        '  - name: tenure',
        '    type: integer',
        '    nullable: false',
        '    min: 0',
        '    max: 72',
      ].join('\n'),
    );
    expect(yaml).toContain('    domain: [Month-to-month, One year, Two year]\n');
  });

  test('round-trip through YAML and JSON without loss, category names that look like numbers included', () => {
    expect(parseSchemaFile(yaml, 'schema.yaml')).toEqual({ dataset: 'churn', basedOn: 2, schema });
    const json = formatSchemaFile({ schema }, 'json');
    expect(JSON.parse(json)).toEqual({ columns: schema.columns });
    expect(parseSchemaFile(json, 'schema.json', 'json')).toEqual({ schema });
  });

  test('numbers in a domain are category codes, stored as their text', () => {
    const file = parseSchemaFile(
      'columns:\n  - {name: SeniorCitizen, type: categorical, nullable: false, domain: [0, 1]}\n',
      'codes.yaml',
    );
    expect(file.schema.columns[0].domain).toEqual(['0', '1']);
  });

  test('the format comes from the extension', () => {
    expect(schemaFileFormat('a/schema.yaml')).toBe('yaml');
    expect(schemaFileFormat('schema.YML')).toBe('yaml');
    expect(schemaFileFormat('schema.json')).toBe('json');
    expect(() => schemaFileFormat('schema.txt')).toThrow(/schema\.txt: a schema file ends in \.yaml, \.yml or \.json/);
  });

  test('files are written and read in the format of their extension; a missing file is not_found', async () => {
    for (const name of ['s.yaml', 's.json']) {
      const path = join(dir, name);
      await writeSchemaFile(path, { dataset: 'churn', schema });
      expect(await readSchemaFile(path)).toEqual({ dataset: 'churn', schema });
    }
    await expect(readSchemaFile(join(dir, 'missing.yaml'))).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('schema file validation: one error naming the file and the key path', () => {
  const cases: Array<[string, string, string]> = [
    [
      'an unknown column type',
      yaml.replace('type: integer', 'type: intger'),
      'schema.yaml: columns[1].type: must be one of: integer, float, boolean, categorical, string, datetime',
    ],
    [
      'a misspelt key',
      yaml.replace('    nullable: true', '    nulable: true'),
      'schema.yaml: columns[2].nulable: unknown key (a column has name, type, nullable, domain, min and max)',
    ],
    [
      'an unknown top-level key',
      yaml.replace('basedOn: 2', 'basedon: 2'),
      'schema.yaml: basedon: unknown key (a schema file has dataset, basedOn and columns)',
    ],
    ['a missing type', yaml.replace('    type: string\n', ''), 'schema.yaml: columns[0].type: is required'],
    [
      'a nullable that is not a boolean',
      yaml.replace('nullable: false', 'nullable: nope'),
      'schema.yaml: columns[0].nullable: must be a boolean',
    ],
    [
      'a min that is not a number',
      yaml.replace('min: 0', 'min: zero'),
      'schema.yaml: columns[1].min: must be a number',
    ],
    ['an infinite max', yaml.replace('max: 72', 'max: .inf'), 'schema.yaml: columns[1].max: must be a number'],
    [
      'a min that is not a number (NaN)',
      yaml.replace('min: 0', 'min: .nan'),
      'schema.yaml: columns[1].min: must be a number',
    ],
    [
      'a domain on a numeric column',
      yaml.replace('    max: 72\n', '    max: 72\n    domain: [a, b]\n'),
      'schema.yaml: columns[1].domain: only categorical columns have a domain (this one is integer)',
    ],
    [
      'a range on a categorical column',
      yaml.replace('    domain: [Month-to-month', '    min: 1\n    domain: [Month-to-month'),
      'schema.yaml: columns[3].min: only integer and float columns have a range (this one is categorical)',
    ],
    ['min above max', yaml.replace('min: 0', 'min: 80'), 'schema.yaml: columns[1].min: 80 is greater than max 72'],
    [
      'a repeated column',
      yaml.replace('name: tenure', 'name: customerID'),
      'schema.yaml: columns[1].name: "customerID" is already the name of columns[0]',
    ],
    [
      'a repeated category',
      yaml.replace('Two year]', 'Two year, One year]'),
      'schema.yaml: columns[3].domain[3]: "One year" is listed twice',
    ],
    [
      'an empty domain',
      yaml.replace('[Month-to-month, One year, Two year]', '[]'),
      'schema.yaml: columns[3].domain: must list at least 1 item',
    ],
    [
      'a category that is a list',
      yaml.replace('[Month-to-month, One year', '[[Month-to-month], One year'),
      'schema.yaml: columns[3].domain[0]: must be a category name (text or a number)',
    ],
    ['no columns', 'dataset: churn\ncolumns: []\n', 'schema.yaml: columns: must list at least 1 item'],
    ['columns that are not a list', 'columns: {tenure: integer}\n', 'schema.yaml: columns: must be a list'],
    [
      'a bad dataset name',
      yaml.replace('dataset: churn', 'dataset: Churn Data'),
      'schema.yaml: dataset: must match ^[a-z0-9][a-z0-9_-]{0,62}$ (lowercase dataset name)',
    ],
    ['a list at the top', '- name: tenure\n', 'schema.yaml: (top level): must be a mapping of keys'],
  ];
  test.each(cases)('%s', (_, text, message) => {
    expect(errorOf(text).message).toBe(message);
  });

  test('the error carries the key path and the line of the offending key', () => {
    const error = errorOf(yaml.replace('type: integer', 'type: intger'));
    const line = yaml.split('\n').findIndex((l) => l.includes('type: integer')) + 1;
    expect(error.details).toEqual({ file: 'schema.yaml', field: 'columns[1].type', line });
  });

  test('broken YAML and JSON are refused with where and why', () => {
    expect(errorOf('columns: [\n  - name: x\n').message).toMatch(/^schema\.yaml:\d+: invalid YAML: /);
    expect(() => parseSchemaFile('{"columns": [', 'schema.json', 'json')).toThrow(/^schema\.json: invalid JSON: /);
  });

  test('an empty file is refused', async () => {
    const path = join(dir, 'empty.yaml');
    await writeFile(path, '');
    await expect(readSchemaFile(path)).rejects.toThrow(/empty\.yaml: \(top level\): must be a mapping of keys/);
  });
});
