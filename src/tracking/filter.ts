import { KeelError } from '../core/index.js';
import type {
  RunAttribute,
  RunCondition,
  RunField,
  RunFilter,
  RunFilterOp,
  RunFilterValue,
  RunOrder,
} from '../store/index.js';

/**
 * The run search language, after MLflow's:
 *
 *   metrics.roc_auc > 0.8 and params.algorithm = 'random_forest'
 *   tags.`keel.step` = 'train' or attributes.status IN ('failed', 'running')
 *
 * filter     := and ( OR and )*
 * and        := primary ( AND primary )*
 * primary    := '(' filter ')' | comparison
 * comparison := field op value | field [NOT] IN '(' value, … ')' | field LIKE|ILIKE string
 * field      := metrics.KEY | params.KEY | tags.KEY | attributes.NAME   (KEY may be `quoted`)
 * op         := = | != | <> | < | <= | > | >=
 * value      := 'text' | "text" | number
 *
 * Keywords are case-insensitive. Metrics compare as numbers, params and tags as text, the
 * attributes `start_time`/`end_time` as timestamps (ISO-8601 text or milliseconds since 1970).
 * Every error names the column (1-based) where the problem starts.
 */

const ATTRIBUTES: Readonly<Record<string, RunAttribute>> = {
  run_id: 'run_id',
  id: 'run_id',
  name: 'name',
  run_name: 'name',
  experiment: 'experiment',
  status: 'status',
  start_time: 'start_time',
  end_time: 'end_time',
  parent_run_id: 'parent_run_id',
  pipeline_run_id: 'pipeline_run_id',
  config_hash: 'config_hash',
  git_commit: 'git_commit',
};
const ATTRIBUTE_NAMES =
  'run_id, name, experiment, status, start_time, end_time, parent_run_id, pipeline_run_id, config_hash, git_commit';
const PREFIXES = { metrics: 'metric', params: 'param', tags: 'tag' } as const;
const USE_FIELDS = 'use metrics.NAME, params.NAME, tags.NAME or attributes.NAME';
const STATUSES = ['running', 'finished', 'failed'];
/** Deeper parentheses are a mistake, not a query; the store takes no deeper filter either. */
const MAX_DEPTH = 30;

/** Parses a filter expression; an empty or blank one is no filter (undefined). */
export function parseRunFilter(text: string): RunFilter | undefined {
  if (text.trim() === '') return undefined;
  const parser = new Parser(text, 'filter');
  const filter = parser.filter();
  parser.expectEnd('AND, OR or the end of the filter');
  return filter;
}

/**
 * Parses sort keys: `metrics.roc_auc DESC, attributes.start_time` (ascending unless DESC).
 * A list holds one or more such texts.
 */
export function parseRunOrder(text: string | readonly string[]): RunOrder[] {
  const texts = typeof text === 'string' ? [text] : text;
  const orders: RunOrder[] = [];
  for (const part of texts) {
    if (part.trim() === '') continue;
    const parser = new Parser(part, 'orderBy');
    for (;;) {
      const field = parser.field();
      const word = parser.peekWord();
      let direction: RunOrder['direction'] = 'asc';
      if (word === 'asc' || word === 'desc') {
        direction = word;
        parser.next();
      }
      orders.push({ field, direction });
      if (!parser.accept(',')) break;
    }
    parser.expectEnd('ASC, DESC, a comma or the end of the sort keys');
  }
  return orders;
}

type TokenKind = 'word' | 'string' | 'quoted-key' | 'number' | 'op' | 'punct' | 'end';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** The value: text without its quotes, or the number's text. */
  readonly value: string;
  /** 1-based. */
  readonly column: number;
  /** Whether whitespace precedes it (a quoted key must follow its prefix directly). */
  readonly spaced: boolean;
}

class Parser {
  readonly #tokens: Token[];
  #at = 0;
  #depth = 0;

  constructor(
    readonly text: string,
    readonly what: 'filter' | 'orderBy',
  ) {
    this.#tokens = tokenize(text, (message, column) => this.error(message, column));
  }

  error(message: string, column: number, hint?: string): KeelError {
    return new KeelError('invalid_argument', `${this.what}: ${message} at column ${column}${hint ? `; ${hint}` : ''}`, {
      field: this.what,
      column,
    });
  }

  peek(): Token {
    return this.#tokens[this.#at];
  }

  next(): Token {
    const token = this.#tokens[this.#at];
    if (token.kind !== 'end') this.#at++;
    return token;
  }

  /** The next token as a lower-case keyword, or null when it is not a word. */
  peekWord(): string | null {
    const token = this.peek();
    return token.kind === 'word' ? token.text.toLowerCase() : null;
  }

  accept(punct: string): boolean {
    const token = this.peek();
    if (token.kind === 'punct' && token.text === punct) {
      this.next();
      return true;
    }
    return false;
  }

  expect(punct: string, context: string): void {
    if (!this.accept(punct)) throw this.unexpected(`"${punct}" ${context}`);
  }

  expectEnd(expected: string): void {
    if (this.peek().kind !== 'end') throw this.unexpected(expected);
  }

  unexpected(expected: string): KeelError {
    const token = this.peek();
    const found = token.kind === 'end' ? 'the end' : `"${token.text}"`;
    return this.error(`expected ${expected}, found ${found}`, token.column);
  }

  filter(): RunFilter {
    const clauses = [this.and()];
    while (this.peekWord() === 'or') {
      this.next();
      clauses.push(this.and());
    }
    return combine('or', clauses);
  }

  and(): RunFilter {
    const clauses = [this.primary()];
    while (this.peekWord() === 'and') {
      this.next();
      clauses.push(this.primary());
    }
    return combine('and', clauses);
  }

  primary(): RunFilter {
    const open = this.peek();
    if (this.accept('(')) {
      if (++this.#depth > MAX_DEPTH) throw this.error(`parentheses nest deeper than ${MAX_DEPTH}`, open.column);
      const inner = this.filter();
      this.expect(')', 'to close the parenthesis');
      this.#depth--;
      return inner;
    }
    return this.comparison();
  }

  field(): RunField {
    const token = this.next();
    if (token.kind !== 'word') {
      if (token.kind === 'end') throw this.error('expected a field, found the end', token.column, USE_FIELDS);
      throw this.error(`expected a field, found "${token.text}"`, token.column, USE_FIELDS);
    }
    const dot = token.text.indexOf('.');
    const prefix = dot < 0 ? token.text : token.text.slice(0, dot);
    let key = dot < 0 ? '' : token.text.slice(dot + 1);
    if (dot >= 0 && key === '') {
      // `metrics.` followed directly by a quoted key: metrics.`f1 score`
      const quoted = this.peek();
      if (quoted.kind === 'quoted-key' || (quoted.kind === 'string' && quoted.text.startsWith('"'))) {
        if (!quoted.spaced) key = this.next().value;
      }
    }
    if (prefix === 'attributes') {
      const name = ATTRIBUTES[key];
      if (name === undefined) {
        throw this.error(`unknown attribute "${key}"`, token.column, `attributes are ${ATTRIBUTE_NAMES}`);
      }
      return { kind: 'attribute', name };
    }
    if (Object.hasOwn(PREFIXES, prefix) && dot >= 0) {
      if (key === '') throw this.error(`"${token.text}" names no key`, token.column, `write ${prefix}.NAME`);
      return { kind: PREFIXES[prefix as keyof typeof PREFIXES], key };
    }
    const hint = Object.hasOwn(ATTRIBUTES, token.text) ? `did you mean attributes.${token.text}?` : USE_FIELDS;
    throw this.error(`unknown field "${token.text}"`, token.column, hint);
  }

  comparison(): RunCondition {
    const field = this.field();
    const label = labelOf(field);
    const type = typeOf(field);
    const opToken = this.peek();
    const op = this.operator();
    const allowed = type === 'number' ? NUMBER_OPS : type === 'time' ? TIME_OPS : TEXT_OPS;
    if (!allowed.includes(op)) {
      const kind = type === 'number' ? 'a number' : type === 'time' ? 'a timestamp' : 'text';
      throw this.error(
        `${label} is ${kind} and cannot be compared with ${op.toUpperCase()}`,
        opToken.column,
        `use ${allowed.map((o) => o.toUpperCase()).join(', ')}`,
      );
    }
    if (op === 'in' || op === 'not in') {
      this.expect('(', `after ${op.toUpperCase()}`);
      const values = [this.value(field, op)];
      while (this.accept(',')) values.push(this.value(field, op));
      this.expect(')', 'to close the list');
      return { kind: 'condition', field, op, value: values };
    }
    return { kind: 'condition', field, op, value: this.value(field, op) };
  }

  operator(): RunFilterOp {
    const token = this.peek();
    if (token.kind === 'op') {
      this.next();
      return token.text === '<>' ? '!=' : (token.text as RunFilterOp);
    }
    const word = this.peekWord();
    if (word === 'like' || word === 'ilike' || word === 'in') {
      this.next();
      return word;
    }
    if (word === 'not') {
      this.next();
      if (this.peekWord() === 'in') {
        this.next();
        return 'not in';
      }
      throw this.unexpected('IN after NOT');
    }
    throw this.unexpected('a comparison (=, !=, <, <=, >, >=, LIKE, ILIKE, IN or NOT IN)');
  }

  value(field: RunField, op: RunFilterOp): RunFilterValue {
    const token = this.next();
    const label = labelOf(field);
    if (token.kind !== 'string' && token.kind !== 'number') {
      const found = token.kind === 'end' ? 'the end' : `"${token.text}"`;
      throw this.error(`expected a value for ${label}, found ${found}`, token.column, `quote text: 'like this'`);
    }
    switch (typeOf(field)) {
      case 'number':
        if (token.kind !== 'number') {
          throw this.error(`${label} is a number, not the text ${token.text}`, token.column);
        }
        return Number(token.value);
      case 'time': {
        const time = new Date(token.kind === 'number' ? Number(token.value) : token.value);
        if (Number.isNaN(time.getTime())) {
          throw this.error(
            `${label} needs a timestamp, not ${token.text}`,
            token.column,
            `write '2026-01-31T12:00:00Z' or milliseconds since 1970`,
          );
        }
        return time.toISOString();
      }
      case 'text': {
        if ((op === 'like' || op === 'ilike') && token.kind !== 'string') {
          throw this.error(`${op.toUpperCase()} needs a quoted pattern, not ${token.text}`, token.column);
        }
        // A number matches the text a number param is stored as: String(1.50) is "1.5".
        const text = token.kind === 'number' ? String(Number(token.value)) : token.value;
        if (field.kind === 'attribute' && field.name === 'status' && op !== 'like' && op !== 'ilike') {
          if (!STATUSES.includes(text)) {
            throw this.error(`unknown status ${token.text}`, token.column, `a run is ${STATUSES.join(', ')}`);
          }
        }
        return text;
      }
    }
  }
}

const NUMBER_OPS: readonly RunFilterOp[] = ['=', '!=', '<', '<=', '>', '>=', 'in', 'not in'];
const TIME_OPS: readonly RunFilterOp[] = ['=', '!=', '<', '<=', '>', '>='];
const TEXT_OPS: readonly RunFilterOp[] = ['=', '!=', 'like', 'ilike', 'in', 'not in'];

function typeOf(field: RunField): 'number' | 'text' | 'time' {
  if (field.kind === 'metric') return 'number';
  if (field.kind === 'attribute' && (field.name === 'start_time' || field.name === 'end_time')) return 'time';
  return 'text';
}

function labelOf(field: RunField): string {
  return field.kind === 'attribute' ? `attributes.${field.name}` : `${field.kind}s.${field.key}`;
}

/** One clause stays itself; nested clauses of the same kind flatten. */
function combine(kind: 'and' | 'or', clauses: RunFilter[]): RunFilter {
  if (clauses.length === 1) return clauses[0];
  return { kind, clauses: clauses.flatMap((c) => (c.kind === kind ? c.clauses : [c])) };
}

const WORD = /[A-Za-z_][A-Za-z0-9_.:/-]*/y;
const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/y;
const OPS = ['<=', '>=', '!=', '<>', '=', '<', '>'];

function tokenize(text: string, error: (message: string, column: number) => KeelError): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let spaced = true;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      spaced = true;
      continue;
    }
    const column = i + 1;
    const push = (kind: TokenKind, raw: string, value = raw) => {
      tokens.push({ kind, text: raw, value, column, spaced });
      i += raw.length;
      spaced = false;
    };
    if (ch === "'" || ch === '"' || ch === '`') {
      // A quote inside is doubled, as in SQL: 'it''s'.
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= text.length)
          throw error(`unterminated ${ch === '`' ? 'quoted key' : 'text'} ${text.slice(i)}`, column);
        if (text[j] === ch) {
          if (text[j + 1] === ch) {
            value += ch;
            j += 2;
            continue;
          }
          break;
        }
        value += text[j++];
      }
      push(ch === '`' ? 'quoted-key' : 'string', text.slice(i, j + 1), value);
      continue;
    }
    if ('(),'.includes(ch)) {
      push('punct', ch);
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (op) {
      push('op', op);
      continue;
    }
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (number && (/\d/.test(ch) || ch === '.' || ((ch === '-' || ch === '+') && number[0].length > 1))) {
      push('number', number[0]);
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(text);
    if (word) {
      push('word', word[0]);
      continue;
    }
    throw error(`unexpected character "${ch}"`, column);
  }
  tokens.push({ kind: 'end', text: '', value: '', column: text.length + 1, spaced });
  return tokens;
}
