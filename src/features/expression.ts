import { KeelError, type Column } from '../core/index.js';
import { categoryOf, recordNumber, type FeatureRecord } from './transform.js';

/**
 * The expression language of derived columns (`features.derived[].expr`): parsed once into a
 * tree, checked against the column types once, then evaluated column-wise over a Table (batch)
 * or on one record (serving) through the same scalar functions. There is no `eval`.
 *
 * Values are numbers (NaN when missing) or text (null when missing); booleans are 1 and 0.
 * Missing values propagate: arithmetic, comparisons and functions of a missing value are missing;
 * `and`/`or` follow three-valued logic (`0 and missing` is 0, `1 or missing` is 1); `if` with a
 * missing condition is missing; `isnull` and `coalesce` handle missing values explicitly. A
 * result that is not finite (division by zero, log(0), overflow) is missing too, so a derived
 * column never holds ±Infinity.
 */

export type ValueType = 'number' | 'string';

type Node =
  | { readonly kind: 'number'; readonly value: number; readonly at: number }
  | { readonly kind: 'string'; readonly value: string; readonly at: number }
  | { readonly kind: 'null'; readonly at: number }
  | { readonly kind: 'column'; readonly name: string; readonly at: number }
  | { readonly kind: 'unary'; readonly op: '-' | 'not'; readonly arg: Node; readonly at: number }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Node; readonly right: Node; readonly at: number }
  | { readonly kind: 'call'; readonly fn: string; readonly args: readonly Node[]; readonly at: number };

type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or';

/** An expression parsed once: its tree and the columns it reads, in order of first use. */
export interface ParsedExpression {
  readonly text: string;
  readonly columns: readonly string[];
  readonly root: Node;
}

/** Function name → [fewest, most] arguments. */
const FUNCTIONS: Readonly<Record<string, readonly [number, number]>> = {
  abs: [1, 1],
  ceil: [1, 1],
  coalesce: [2, Infinity],
  exp: [1, 1],
  floor: [1, 1],
  if: [3, 3],
  isnull: [1, 1],
  log: [1, 1],
  log1p: [1, 1],
  max: [2, Infinity],
  min: [2, Infinity],
  round: [1, 1],
  sqrt: [1, 1],
};

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { readonly kind: 'number'; readonly value: number; readonly at: number; readonly text: string }
  | { readonly kind: 'string'; readonly value: string; readonly at: number; readonly text: string }
  | {
      readonly kind: 'name';
      readonly value: string;
      readonly quoted: boolean;
      readonly at: number;
      readonly text: string;
    }
  | { readonly kind: 'op'; readonly value: string; readonly at: number; readonly text: string }
  | { readonly kind: 'end'; readonly at: number; readonly text: string };

const KEYWORDS = new Set(['and', 'or', 'not', 'true', 'false', 'null']);
const OPERATORS = ['==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '^', '(', ')', ','];

function tokenize(text: string, fail: (message: string, at: number) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === '.' && isDigit(text[i + 1] ?? ''))) {
      while (isDigit(text[i] ?? '')) i++;
      if (text[i] === '.') for (i++; isDigit(text[i] ?? '');) i++;
      if (text[i] === 'e' || text[i] === 'E') {
        let j = i + 1;
        if (text[j] === '+' || text[j] === '-') j++;
        if (!isDigit(text[j] ?? '')) fail(`malformed number "${text.slice(start, j)}"`, start);
        for (i = j; isDigit(text[i] ?? '');) i++;
      }
      const literal = text.slice(start, i);
      tokens.push({ kind: 'number', value: Number(literal), at: start, text: literal });
    } else if (c === '"' || c === "'") {
      let value = '';
      for (i++; i < text.length && text[i] !== c; i++) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
      }
      if (i >= text.length) fail(`unterminated string`, start);
      i++;
      tokens.push({ kind: 'string', value, at: start, text: text.slice(start, i) });
    } else if (c === '`') {
      const close = text.indexOf('`', i + 1);
      if (close < 0) fail('unterminated `quoted` column name', start);
      const value = text.slice(i + 1, close);
      if (value === '') fail('empty `quoted` column name', start);
      i = close + 1;
      tokens.push({ kind: 'name', value, quoted: true, at: start, text: text.slice(start, i) });
    } else if (/[A-Za-z_]/.test(c)) {
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i])) i++;
      const value = text.slice(start, i);
      tokens.push({ kind: 'name', value, quoted: false, at: start, text: value });
    } else {
      const op = OPERATORS.find((o) => text.startsWith(o, i));
      if (!op) {
        if (c === '=') fail('unexpected "=" (compare with ==)', start);
        if (c === '&' || c === '|' || c === '!') fail(`unexpected "${c}" (use and, or, not)`, start);
        fail(`unexpected character ${JSON.stringify(c)}`, start);
      }
      if (op === '<' && text[i + 1] === '>') fail('unexpected "<>" (use !=)', start);
      i += op.length;
      tokens.push({ kind: 'op', value: op, at: start, text: op });
    }
  }
  tokens.push({ kind: 'end', at: text.length, text: '' });
  return tokens;
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

// ---------------------------------------------------------------------------------------------
// Parsing: precedence climbing, lowest first: or, and, not, comparison, + -, * / %, unary -, ^.

/**
 * Parses `text`, or throws an `invalid_config` KeelError naming `path` and the 1-based column,
 * e.g. `features.derived[0].expr: unexpected ")" at column 14`.
 */
export function parseExpression(text: string, path: string): ParsedExpression {
  const fail = (message: string, at: number): never => {
    throw new KeelError('invalid_config', `${path}: ${message} at column ${at + 1}`, { field: path, column: at + 1 });
  };
  const tokens = tokenize(text, fail);
  let position = 0;
  const columns: string[] = [];

  const peek = (): Token => tokens[position];
  const next = (): Token => tokens[position++];
  const isOp = (value: string): boolean => {
    const t = peek();
    return t.kind === 'op' && t.value === value;
  };
  const isKeyword = (value: string): boolean => {
    const t = peek();
    return t.kind === 'name' && !t.quoted && t.value.toLowerCase() === value;
  };
  const unexpected = (token: Token): never =>
    fail(token.kind === 'end' ? 'unexpected end of expression' : `unexpected ${describeToken(token)}`, token.at);
  const expect = (value: string): void => {
    if (!isOp(value)) {
      const t = peek();
      fail(`expected "${value}" but found ${t.kind === 'end' ? 'the end of the expression' : describeToken(t)}`, t.at);
    }
    position++;
  };

  const or = (): Node => {
    let left = and();
    while (isKeyword('or')) {
      const at = next().at;
      left = { kind: 'binary', op: 'or', left, right: and(), at };
    }
    return left;
  };
  const and = (): Node => {
    let left = not();
    while (isKeyword('and')) {
      const at = next().at;
      left = { kind: 'binary', op: 'and', left, right: not(), at };
    }
    return left;
  };
  const not = (): Node => {
    if (isKeyword('not')) {
      const at = next().at;
      return { kind: 'unary', op: 'not', arg: not(), at };
    }
    return comparison();
  };
  const COMPARISONS = ['==', '!=', '<', '<=', '>', '>='];
  const comparison = (): Node => {
    const left = additive();
    const t = peek();
    if (t.kind !== 'op' || !COMPARISONS.includes(t.value)) return left;
    next();
    const node: Node = { kind: 'binary', op: t.value as BinaryOp, left, right: additive(), at: t.at };
    const after = peek();
    if (after.kind === 'op' && COMPARISONS.includes(after.value)) {
      fail('comparisons cannot be chained (combine them with and)', after.at);
    }
    return node;
  };
  const additive = (): Node => {
    let left = multiplicative();
    while (isOp('+') || isOp('-')) {
      const t = next();
      left = { kind: 'binary', op: t.text as BinaryOp, left, right: multiplicative(), at: t.at };
    }
    return left;
  };
  const multiplicative = (): Node => {
    let left = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const t = next();
      left = { kind: 'binary', op: t.text as BinaryOp, left, right: unary(), at: t.at };
    }
    return left;
  };
  const unary = (): Node => {
    if (isOp('-')) {
      const at = next().at;
      return { kind: 'unary', op: '-', arg: unary(), at };
    }
    if (isOp('+')) {
      next();
      return unary();
    }
    return power();
  };
  // `^` binds tighter than a unary minus on its left (-2^2 is -4) and is right-associative.
  const power = (): Node => {
    const base = primary();
    if (!isOp('^')) return base;
    const at = next().at;
    return { kind: 'binary', op: '^', left: base, right: unary(), at };
  };
  const primary = (): Node => {
    const t = next();
    switch (t.kind) {
      case 'number':
        return { kind: 'number', value: t.value, at: t.at };
      case 'string':
        return { kind: 'string', value: t.value, at: t.at };
      case 'name': {
        const lower = t.value.toLowerCase();
        if (!t.quoted && isOp('(')) return call(t.value, t.at);
        if (!t.quoted && (lower === 'true' || lower === 'false')) {
          return { kind: 'number', value: lower === 'true' ? 1 : 0, at: t.at };
        }
        if (!t.quoted && lower === 'null') return { kind: 'null', at: t.at };
        if (!t.quoted && KEYWORDS.has(lower)) return unexpected(t);
        if (!columns.includes(t.value)) columns.push(t.value);
        return { kind: 'column', name: t.value, at: t.at };
      }
      case 'op':
        if (t.value === '(') {
          const inner = or();
          expect(')');
          return inner;
        }
        return unexpected(t);
      case 'end':
        return unexpected(t);
    }
  };
  const call = (name: string, at: number): Node => {
    const fn = name.toLowerCase();
    const arity = FUNCTIONS[fn];
    if (!arity) fail(`unknown function "${name}" (functions: ${Object.keys(FUNCTIONS).join(', ')})`, at);
    next(); // (
    const args: Node[] = [];
    if (!isOp(')')) {
      args.push(or());
      while (isOp(',')) {
        next();
        args.push(or());
      }
    }
    expect(')');
    const [fewest, most] = arity;
    if (args.length < fewest || args.length > most) {
      const wanted = fewest === most ? `${fewest}` : most === Infinity ? `at least ${fewest}` : `${fewest} to ${most}`;
      fail(`${fn}() takes ${wanted} argument${wanted === '1' ? '' : 's'}, got ${args.length}`, at);
    }
    return { kind: 'call', fn, args, at };
  };

  if (peek().kind === 'end') fail('empty expression', 0);
  const root = or();
  if (peek().kind !== 'end') unexpected(peek());
  return { text, columns, root };
}

function describeToken(token: Token): string {
  switch (token.kind) {
    case 'op':
      return `"${token.value}"`;
    case 'number':
      return `number ${token.text}`;
    case 'string':
      return `string ${token.text}`;
    case 'name':
      return KEYWORDS.has(token.value.toLowerCase()) && !token.quoted ? `"${token.value}"` : `name ${token.text}`;
    case 'end':
      return 'end of expression';
  }
}

// ---------------------------------------------------------------------------------------------
// Binding: types are checked once, and each node becomes a pair of evaluators — column-wise
// over a batch and scalar over a record — that call the same scalar function.

/** The columns of a batch, by name, as a derived column reads them. */
export interface BatchColumns {
  readonly rows: number;
  readonly columns: ReadonlyMap<string, Column>;
}

interface NumberCode {
  readonly type: 'number';
  batch(batch: BatchColumns): Float64Array;
  row(record: Readonly<FeatureRecord>): number;
}

interface TextCode {
  readonly type: 'string';
  batch(batch: BatchColumns): ReadonlyArray<string | null>;
  row(record: Readonly<FeatureRecord>): string | null;
}

type Code = NumberCode | TextCode;
/** A `null` literal takes the type its context needs. */
type Typed = Code | { readonly type: 'null' };

/** An expression bound to column types: its result type and its two evaluators. */
export interface BoundExpression {
  readonly type: ValueType;
  /** The batch path: one value per row, column-wise over typed arrays. */
  evaluateBatch(batch: BatchColumns): Column['values'];
  /** The serving path: the value for one record. */
  evaluateRecord(record: Readonly<FeatureRecord>): number | string | null;
}

/**
 * Checks `parsed` against the types of the columns it reads (`typeOf` returns undefined for an
 * unknown column) and builds its evaluators; errors name `path` and the column of the offending
 * part of the expression.
 */
export function bindExpression(
  parsed: ParsedExpression,
  typeOf: (column: string) => ValueType | undefined,
  path: string,
  available: () => readonly string[] = () => [],
): BoundExpression {
  const fail = (message: string, at: number): never => {
    throw new KeelError('invalid_config', `${path}: ${message} at column ${at + 1}`, { field: path, column: at + 1 });
  };
  const asNumber = (typed: Typed, node: Node, what: string): NumberCode => {
    if (typed.type === 'null') return constantNumber(NaN);
    if (typed.type !== 'number') fail(`${what} needs a number, but ${describeNode(node)} is text`, node.at);
    return typed as NumberCode;
  };
  /** The common type of several values; a null literal fits either. */
  const unify = (typed: Typed[], nodes: readonly Node[], what: string): Code[] => {
    const type = typed.find((t) => t.type !== 'null')?.type ?? 'number';
    return typed.map((t, k) => {
      if (t.type === 'null') return type === 'number' ? constantNumber(NaN) : constantText(null);
      if (t.type !== type) {
        fail(
          `${what} mixes text and numbers (${describeNode(nodes[k])} is ${t.type === 'string' ? 'text' : 'a number'})`,
          nodes[k].at,
        );
      }
      return t as Code;
    });
  };

  const bind = (node: Node): Typed => {
    switch (node.kind) {
      case 'number':
        return constantNumber(node.value);
      case 'string':
        return constantText(node.value);
      case 'null':
        return { type: 'null' };
      case 'column': {
        const type = typeOf(node.name);
        if (!type) {
          const names = available();
          fail(`unknown column "${node.name}"${names.length ? ` (columns: ${names.join(', ')})` : ''}`, node.at);
        }
        return type === 'number' ? numberColumn(node.name) : textColumn(node.name);
      }
      case 'unary': {
        const arg = asNumber(bind(node.arg), node.arg, node.op === '-' ? '"-"' : '"not"');
        return map1(arg, node.op === '-' ? negate : logicalNot);
      }
      case 'binary':
        return bindBinary(node);
      case 'call':
        return bindCall(node);
    }
  };

  const bindBinary = (node: Extract<Node, { kind: 'binary' }>): Typed => {
    const { op } = node;
    if (op === '==' || op === '!=' || op === '<' || op === '<=' || op === '>' || op === '>=') {
      const [left, right] = unify([bind(node.left), bind(node.right)], [node.left, node.right], `"${op}"`);
      return left.type === 'number'
        ? map2(left, right as NumberCode, NUMBER_COMPARISONS[op])
        : compareText(left, right as TextCode, TEXT_COMPARISONS[op]);
    }
    const left = asNumber(bind(node.left), node.left, `"${op}"`);
    const right = asNumber(bind(node.right), node.right, `"${op}"`);
    return map2(left, right, ARITHMETIC[op]);
  };

  const bindCall = (node: Extract<Node, { kind: 'call' }>): Typed => {
    const { fn, args } = node;
    const what = `${fn}()`;
    if (fn === 'isnull') {
      const arg = bind(args[0]);
      if (arg.type === 'null') return constantNumber(1);
      return arg.type === 'number' ? map1(arg, isMissingNumber) : textIsNull(arg);
    }
    if (fn === 'if') {
      const condition = asNumber(bind(args[0]), args[0], what);
      const [then, otherwise] = unify([bind(args[1]), bind(args[2])], args.slice(1), what);
      return then.type === 'number'
        ? map3(condition, then, otherwise as NumberCode, ifNumber)
        : textIf(condition, then, otherwise as TextCode);
    }
    if (fn === 'coalesce') {
      const values = unify(args.map(bind), args, what);
      return values.reduce((a, b) =>
        a.type === 'number' ? map2(a, b as NumberCode, coalesceNumber) : textCoalesce(a, b as TextCode),
      );
    }
    const numbers = args.map((arg) => asNumber(bind(arg), arg, what));
    if (fn === 'min' || fn === 'max') return numbers.reduce((a, b) => map2(a, b, fn === 'min' ? Math.min : Math.max));
    return map1(numbers[0], MATH[fn]);
  };

  const code = bind(parsed.root);
  const result: Code = code.type === 'null' ? constantNumber(NaN) : code;
  return {
    type: result.type,
    evaluateBatch: (batch) => result.batch(batch) as Column['values'],
    evaluateRecord: (record) => result.row(record),
  };
}

/** A node as a message names it. */
function describeNode(node: Node): string {
  switch (node.kind) {
    case 'column':
      return `"${node.name}"`;
    case 'string':
      return `the string ${JSON.stringify(node.value)}`;
    case 'number':
      return `the number ${node.value}`;
    case 'null':
      return 'null';
    case 'call':
      return `${node.fn}(…)`;
    case 'unary':
    case 'binary':
      return `the result of "${node.op}"`;
  }
}

// ---------------------------------------------------------------------------------------------
// The scalar functions: the only place values are computed, for both paths.

const finite = (x: number): number => (x === Infinity || x === -Infinity ? NaN : x);
const missing = (x: number): boolean => Number.isNaN(x);

const negate = (x: number): number => -x;
const logicalNot = (x: number): number => (missing(x) ? NaN : x === 0 ? 1 : 0);
const isMissingNumber = (x: number): number => (missing(x) ? 1 : 0);
const coalesceNumber = (a: number, b: number): number => (missing(a) ? b : a);
const ifNumber = (c: number, a: number, b: number): number => (missing(c) ? NaN : c !== 0 ? a : b);
/** Rounds half away from zero (2.5 → 3, −2.5 → −3). */
const roundHalfAway = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x));

const ARITHMETIC: Readonly<Record<string, (a: number, b: number) => number>> = {
  '+': (a, b) => finite(a + b),
  '-': (a, b) => finite(a - b),
  '*': (a, b) => finite(a * b),
  '/': (a, b) => finite(a / b),
  // The remainder takes the sign of the dividend, as in JavaScript and SQL.
  '%': (a, b) => finite(a % b),
  '^': (a, b) => finite(Math.pow(a, b)),
  and: (a, b) => (a === 0 || b === 0 ? 0 : missing(a) || missing(b) ? NaN : 1),
  or: (a, b) => ((a !== 0 && !missing(a)) || (b !== 0 && !missing(b)) ? 1 : missing(a) || missing(b) ? NaN : 0),
};

const NUMBER_COMPARISONS: Readonly<Record<string, (a: number, b: number) => number>> = {
  '==': (a, b) => (missing(a) || missing(b) ? NaN : a === b ? 1 : 0),
  '!=': (a, b) => (missing(a) || missing(b) ? NaN : a !== b ? 1 : 0),
  '<': (a, b) => (missing(a) || missing(b) ? NaN : a < b ? 1 : 0),
  '<=': (a, b) => (missing(a) || missing(b) ? NaN : a <= b ? 1 : 0),
  '>': (a, b) => (missing(a) || missing(b) ? NaN : a > b ? 1 : 0),
  '>=': (a, b) => (missing(a) || missing(b) ? NaN : a >= b ? 1 : 0),
};

type TextComparison = (a: string | null, b: string | null) => number;
const TEXT_COMPARISONS: Readonly<Record<string, TextComparison>> = {
  '==': (a, b) => (a === null || b === null ? NaN : a === b ? 1 : 0),
  '!=': (a, b) => (a === null || b === null ? NaN : a !== b ? 1 : 0),
  '<': (a, b) => (a === null || b === null ? NaN : a < b ? 1 : 0),
  '<=': (a, b) => (a === null || b === null ? NaN : a <= b ? 1 : 0),
  '>': (a, b) => (a === null || b === null ? NaN : a > b ? 1 : 0),
  '>=': (a, b) => (a === null || b === null ? NaN : a >= b ? 1 : 0),
};

const MATH: Readonly<Record<string, (x: number) => number>> = {
  abs: Math.abs,
  ceil: Math.ceil,
  exp: (x) => finite(Math.exp(x)),
  floor: Math.floor,
  log: (x) => finite(Math.log(x)),
  log1p: (x) => finite(Math.log1p(x)),
  round: roundHalfAway,
  sqrt: Math.sqrt,
};

// ---------------------------------------------------------------------------------------------
// Evaluators. Each batch evaluator allocates one output array per node per batch, never per row.

function constantNumber(value: number): NumberCode {
  return { type: 'number', batch: ({ rows }) => new Float64Array(rows).fill(value), row: () => value };
}

function constantText(value: string | null): TextCode {
  return { type: 'string', batch: ({ rows }) => new Array<string | null>(rows).fill(value), row: () => value };
}

function batchColumn(batch: BatchColumns, name: string): Column {
  const found = batch.columns.get(name);
  if (!found) throw new KeelError('invalid_data', `the table has no column "${name}"`, { field: name });
  return found;
}

function numberColumn(name: string): NumberCode {
  return {
    type: 'number',
    batch: (batch) => {
      const column = batchColumn(batch, name);
      if (column.kind !== 'number') {
        throw new KeelError('invalid_data', `column "${name}" was numeric when the expression was checked`, {
          field: name,
        });
      }
      return column.values;
    },
    row: (record) => recordNumber(record, name),
  };
}

function textColumn(name: string): TextCode {
  return {
    type: 'string',
    batch: (batch) => {
      const column = batchColumn(batch, name);
      return column.kind === 'string' ? column.values : Array.from(column.values, categoryOf);
    },
    row: (record) => categoryOf(record[name]),
  };
}

function map1(arg: NumberCode, f: (x: number) => number): NumberCode {
  return {
    type: 'number',
    batch: (batch) => {
      const x = arg.batch(batch);
      const out = new Float64Array(batch.rows);
      for (let i = 0; i < batch.rows; i++) out[i] = f(x[i]);
      return out;
    },
    row: (record) => f(arg.row(record)),
  };
}

function map2(a: NumberCode, b: NumberCode, f: (x: number, y: number) => number): NumberCode {
  return {
    type: 'number',
    batch: (batch) => {
      const x = a.batch(batch);
      const y = b.batch(batch);
      const out = new Float64Array(batch.rows);
      for (let i = 0; i < batch.rows; i++) out[i] = f(x[i], y[i]);
      return out;
    },
    row: (record) => f(a.row(record), b.row(record)),
  };
}

function map3(a: NumberCode, b: NumberCode, c: NumberCode, f: (x: number, y: number, z: number) => number): NumberCode {
  return {
    type: 'number',
    batch: (batch) => {
      const x = a.batch(batch);
      const y = b.batch(batch);
      const z = c.batch(batch);
      const out = new Float64Array(batch.rows);
      for (let i = 0; i < batch.rows; i++) out[i] = f(x[i], y[i], z[i]);
      return out;
    },
    row: (record) => f(a.row(record), b.row(record), c.row(record)),
  };
}

function compareText(a: TextCode, b: TextCode, f: TextComparison): NumberCode {
  return {
    type: 'number',
    batch: (batch) => {
      const x = a.batch(batch);
      const y = b.batch(batch);
      const out = new Float64Array(batch.rows);
      for (let i = 0; i < batch.rows; i++) out[i] = f(x[i], y[i]);
      return out;
    },
    row: (record) => f(a.row(record), b.row(record)),
  };
}

const isNullText = (x: string | null): number => (x === null ? 1 : 0);
const coalesceText = (a: string | null, b: string | null): string | null => (a === null ? b : a);
const ifText = (c: number, a: string | null, b: string | null): string | null => (missing(c) ? null : c !== 0 ? a : b);

function textIsNull(arg: TextCode): NumberCode {
  return {
    type: 'number',
    batch: (batch) => {
      const x = arg.batch(batch);
      const out = new Float64Array(batch.rows);
      for (let i = 0; i < batch.rows; i++) out[i] = isNullText(x[i]);
      return out;
    },
    row: (record) => isNullText(arg.row(record)),
  };
}

function textCoalesce(a: TextCode, b: TextCode): TextCode {
  return {
    type: 'string',
    batch: (batch) => {
      const x = a.batch(batch);
      const y = b.batch(batch);
      const out = new Array<string | null>(batch.rows);
      for (let i = 0; i < batch.rows; i++) out[i] = coalesceText(x[i], y[i]);
      return out;
    },
    row: (record) => coalesceText(a.row(record), b.row(record)),
  };
}

function textIf(condition: NumberCode, a: TextCode, b: TextCode): TextCode {
  return {
    type: 'string',
    batch: (batch) => {
      const c = condition.batch(batch);
      const x = a.batch(batch);
      const y = b.batch(batch);
      const out = new Array<string | null>(batch.rows);
      for (let i = 0; i < batch.rows; i++) out[i] = ifText(c[i], x[i], y[i]);
      return out;
    },
    row: (record) => ifText(condition.row(record), a.row(record), b.row(record)),
  };
}
