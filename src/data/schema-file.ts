import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Type } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { Document, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import { KeelError, type ColumnSchema, type ColumnType, type DataSchema } from '../core/index.js';

/**
 * A dataset schema as a file a person edits: YAML (or JSON) with one entry per column.
 *
 * ```yaml
 * dataset: telco-churn   # optional: refuses to be stored for another dataset
 * basedOn: 1             # optional: the dataset version it was exported from
 * columns:
 *   - name: tenure
 *     type: integer      # integer | float | boolean | categorical | string | datetime
 *     nullable: false
 *     min: 0             # integer and float columns only
 *     max: 72
 *   - name: Contract
 *     type: categorical
 *     nullable: false
 *     domain: [Month-to-month, One year, Two year]   # categorical columns only
 * ```
 */
export interface SchemaFile {
  readonly dataset?: string;
  readonly basedOn?: number;
  readonly schema: DataSchema;
}

export type SchemaFileFormat = 'yaml' | 'json';

const COLUMN_TYPES: readonly ColumnType[] = ['integer', 'float', 'boolean', 'categorical', 'string', 'datetime'];

const ColumnEntry = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    type: Type.Union(COLUMN_TYPES.map((t) => Type.Literal(t))),
    nullable: Type.Boolean(),
    domain: Type.Optional(
      Type.Array(
        // Numbers are accepted as category codes and stored as their decimal text.
        Type.Union([Type.String(), Type.Number()], { description: 'a category name (text or a number)' }),
        { minItems: 1 },
      ),
    ),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);

const SchemaFileSchema = Type.Object(
  {
    dataset: Type.Optional(
      Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'lowercase dataset name' }),
    ),
    basedOn: Type.Optional(Type.Integer({ minimum: 1 })),
    columns: Type.Array(ColumnEntry, { minItems: 1 }),
  },
  { additionalProperties: false },
);

interface RawColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
  domain?: Array<string | number>;
  min?: number;
  max?: number;
}

interface RawSchemaFile {
  dataset?: string;
  basedOn?: number;
  columns: RawColumn[];
}

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validateShape = ajv.compile<RawSchemaFile>(SchemaFileSchema);

/** The format a schema file's name asks for: `.yaml`/`.yml` or `.json`. */
export function schemaFileFormat(path: string): SchemaFileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  throw new KeelError('invalid_argument', `${path}: a schema file ends in .yaml, .yml or .json`, { file: path });
}

/** The schema file's text: YAML with `header` as a leading comment, or pretty JSON. */
export function formatSchemaFile(file: SchemaFile, format: SchemaFileFormat, header?: string): string {
  const value = {
    ...(file.dataset !== undefined ? { dataset: file.dataset } : {}),
    ...(file.basedOn !== undefined ? { basedOn: file.basedOn } : {}),
    columns: file.schema.columns.map(columnEntry),
  };
  if (format === 'json') return JSON.stringify(value, null, 2) + '\n';
  const doc = new Document(value);
  // Domains read best on one line each: `domain: [No, Yes]`.
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === 'domain' && isSeq(pair.value)) pair.value.flow = true;
    },
  });
  if (header) doc.commentBefore = header.replace(/^/gm, ' ');
  return doc.toString({ lineWidth: 120, flowCollectionPadding: false });
}

/** Writes a schema file, in the format its extension names. */
export async function writeSchemaFile(path: string, file: SchemaFile, header?: string): Promise<void> {
  await writeFile(path, formatSchemaFile(file, schemaFileFormat(path), header));
}

/** Reads and validates a schema file (see `parseSchemaFile`); a missing file is not_found. */
export async function readSchemaFile(path: string): Promise<SchemaFile> {
  const format = schemaFileFormat(path);
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new KeelError('not_found', `no readable schema file at ${path}`, { file: path }, { cause: error });
  });
  return parseSchemaFile(text, path, format);
}

/**
 * Parses and validates a schema file. Every problem is an `invalid_config` error whose message
 * names the file and the key path, e.g. `schema.yaml: columns[3].type: must be one of: …`, and
 * whose details carry `field` (the key path) and, for YAML, the `line`.
 */
export function parseSchemaFile(text: string, file: string, format: SchemaFileFormat = 'yaml'): SchemaFile {
  const raw = format === 'json' ? parseJsonText(text, file) : parseYamlText(text, file);
  const value = raw.value;
  if (!validateShape(value)) {
    const error = mostSpecific(validateShape.errors ?? []);
    const field = keyPath(error);
    throw fileError(file, field, describe(error, field), raw.lineOf);
  }
  const columns = value.columns.map((column, i) => checkColumn(column, `columns[${i}]`, file, raw.lineOf));
  const seen = new Map<string, number>();
  columns.forEach((column, i) => {
    const earlier = seen.get(column.name);
    if (earlier !== undefined) {
      throw fileError(
        file,
        `columns[${i}].name`,
        `"${column.name}" is already the name of columns[${earlier}]`,
        raw.lineOf,
      );
    }
    seen.set(column.name, i);
  });
  return {
    ...(value.dataset !== undefined ? { dataset: value.dataset } : {}),
    ...(value.basedOn !== undefined ? { basedOn: value.basedOn } : {}),
    schema: { columns },
  };
}

/** A column entry in file order: name, type, nullable, then domain or range. */
function columnEntry(column: ColumnSchema): Record<string, unknown> {
  return {
    name: column.name,
    type: column.type,
    nullable: column.nullable,
    ...(column.domain !== undefined ? { domain: [...column.domain] } : {}),
    ...(column.min !== undefined ? { min: column.min } : {}),
    ...(column.max !== undefined ? { max: column.max } : {}),
  };
}

/** What the shape cannot say: which keys suit which types, ranges that are ranges, no repeats. */
function checkColumn(column: RawColumn, path: string, file: string, lineOf: LineOf): ColumnSchema {
  const fail = (key: string, reason: string) => fileError(file, `${path}.${key}`, reason, lineOf);
  const numeric = column.type === 'integer' || column.type === 'float';
  if (column.domain !== undefined && column.type !== 'categorical') {
    throw fail('domain', `only categorical columns have a domain (this one is ${column.type})`);
  }
  for (const key of ['min', 'max'] as const) {
    // YAML has `.inf` and `.nan`, which Ajv lets through as numbers.
    if (column[key] !== undefined && !Number.isFinite(column[key])) throw fail(key, 'must be a number');
    if (column[key] !== undefined && !numeric) {
      throw fail(key, `only integer and float columns have a range (this one is ${column.type})`);
    }
  }
  if (column.min !== undefined && column.max !== undefined && column.min > column.max) {
    throw fail('min', `${column.min} is greater than max ${column.max}`);
  }
  let domain: string[] | undefined;
  if (column.domain !== undefined) {
    domain = column.domain.map(String);
    const seen = new Set<string>();
    domain.forEach((value, k) => {
      if (seen.has(value)) throw fail(`domain[${k}]`, `${JSON.stringify(value)} is listed twice`);
      seen.add(value);
    });
  }
  return {
    name: column.name,
    type: column.type,
    nullable: column.nullable,
    ...(domain !== undefined ? { domain } : {}),
    ...(column.min !== undefined ? { min: column.min } : {}),
    ...(column.max !== undefined ? { max: column.max } : {}),
  };
}

/** The line of a key path in the file, when known. */
type LineOf = (path: readonly (string | number)[]) => number | undefined;

interface ParsedText {
  readonly value: unknown;
  readonly lineOf: LineOf;
}

function parseYamlText(text: string, file: string): ParsedText {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first.linePos?.[0]?.line ?? lineAt(text, first.pos[0]);
    throw new KeelError('invalid_config', `${file}:${line}: invalid YAML: ${first.message.split('\n')[0]}`, {
      file,
      line,
    });
  }
  return {
    value: doc.toJS(),
    lineOf: (path) => {
      // The deepest node of the path that exists: a missing key is reported where its parent is.
      for (let depth = path.length; depth >= 0; depth--) {
        const node = doc.getIn(path.slice(0, depth), true);
        const range = (isPair(node) ? node.key : node) as { range?: [number, number, number] } | undefined;
        if (range?.range) return lineAt(text, range.range[0]);
      }
      return undefined;
    },
  };
}

function parseJsonText(text: string, file: string): ParsedText {
  try {
    return { value: JSON.parse(text) as unknown, lineOf: () => undefined };
  } catch (error) {
    throw new KeelError('invalid_config', `${file}: invalid JSON: ${(error as Error).message}`, { file });
  }
}

function fileError(file: string, field: string, reason: string, lineOf: LineOf): KeelError {
  const line = lineOf(pathParts(field));
  return new KeelError('invalid_config', `${file}: ${field || '(top level)'}: ${reason}`, {
    file,
    field,
    ...(line !== undefined ? { line } : {}),
  });
}

/** `columns[3].type` → ['columns', 3, 'type']. */
function pathParts(field: string): Array<string | number> {
  return [...field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]));
}

function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/** Ajv reports every branch of a union; the deepest error is the one a user can act on. */
function mostSpecific(errors: readonly ErrorObject[]): ErrorObject {
  const depth = (e: ErrorObject) => keyPath(e).split(/[.[]/).length;
  // An unknown key beats a required one beside it: `nulable` is a misspelt `nullable`, not two problems.
  const bonus: Record<string, number> = { additionalProperties: 6, required: 5, anyOf: 3 };
  const score = (e: ErrorObject) => depth(e) * 10 + (bonus[e.keyword] ?? 0);
  return [...errors].sort((a, b) => score(b) - score(a))[0];
}

function keyPath(error: ErrorObject): string {
  let path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('')
    .replace(/^\./, '');
  const params = error.params as Record<string, unknown>;
  const child = (key: unknown) => (path ? `${path}.${String(key)}` : String(key));
  if (error.keyword === 'additionalProperties') path = child(params.additionalProperty);
  if (error.keyword === 'required') path = child(params.missingProperty);
  return path;
}

function describe(error: ErrorObject, field: string): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return field.startsWith('columns[')
        ? 'unknown key (a column has name, type, nullable, domain, min and max)'
        : 'unknown key (a schema file has dataset, basedOn and columns)';
    case 'required':
      return 'is required';
    case 'anyOf': {
      const options = (error.parentSchema?.anyOf as Array<{ const?: unknown }> | undefined) ?? [];
      const allowed = options.map((o) => o.const).filter((c) => c !== undefined);
      if (allowed.length > 0 && allowed.length === options.length) return `must be one of: ${allowed.join(', ')}`;
      const description = error.parentSchema?.description as string | undefined;
      return description ? `must be ${description}` : 'is not one of the allowed forms';
    }
    case 'type':
      return `must be ${params.type === 'array' ? 'a list' : params.type === 'object' ? 'a mapping of keys' : `a ${String(params.type)}`}`;
    case 'pattern':
      return (
        `must match ${String(params.pattern)}` +
        (error.parentSchema?.description ? ` (${error.parentSchema.description})` : '')
      );
    case 'minItems':
      return `must list at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`;
    default:
      return error.message ?? 'is invalid';
  }
}
