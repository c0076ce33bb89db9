import { KeelError } from '../../core/index.js';
import type { ParsedExpression } from '../../features/index.js';
import type { GraphBuilder } from './graph-builder.js';
import type { TextCol } from './export-features.js';
import { castTo, eitherNaN, finite, indicator, isNaN, nan, nanWhere, notExportable, where } from './ops.js';

/**
 * A derived column's expression as standard operators on double [N, 1] tensors, following the
 * scalar functions of features/expression.ts: missing values propagate, `and`/`or` use
 * three-valued logic, and results that are not finite become missing. Text appears only in
 * `column == "literal"` (or `!=`) and `isnull(column)`, which a LabelEncoder can answer; an
 * expression whose value is text, or that orders or joins text, is not exportable.
 */

type ExprNode = ParsedExpression['root'];

type Value =
  | { readonly kind: 'number'; readonly tensor: string }
  | { readonly kind: 'text'; readonly col: TextCol }
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'null' };

export interface ExpressionContext {
  /** A column the expression reads: a double [N, 1] tensor, or a text input. */
  column(name: string): { readonly kind: 'number'; readonly tensor: string } | TextCol;
  /** Any [N, 1] graph input, to broadcast a constant result to one value per row. */
  readonly anyInput: string;
  /** The derived column, for error messages. */
  readonly part: string;
}

export function exportExpression(g: GraphBuilder, parsed: ParsedExpression, context: ExpressionContext): string {
  const fail = (reason: string): never => {
    throw notExportable(context.part, reason);
  };
  const num = (value: Value): string => {
    if (value.kind === 'number') return value.tensor;
    if (value.kind === 'null') return nan(g);
    return fail('it computes with text where ONNX needs numbers');
  };
  const bool = (x: string): string => g.op('Not', [g.op('Equal', [x, g.scalar(0)])]);
  const compareNumbers = (op: string, a: string, b: string): string => {
    const result =
      op === '!='
        ? g.op('Not', [g.op('Equal', [a, b])])
        : g.op({ '==': 'Equal', '<': 'Less', '<=': 'LessOrEqual', '>': 'Greater', '>=': 'GreaterOrEqual' }[op] ?? '', [
            a,
            b,
          ]);
    return nanWhere(g, eitherNaN(g, a, b), indicator(g, result));
  };
  /** `column == "literal"` (or `!=`) by a LabelEncoder: the literal → 1 (0), missing → NaN, anything else → 0 (1). */
  const compareText = (op: string, col: TextCol, literal: string): string => {
    if (op !== '==' && op !== '!=') return fail(`ONNX cannot order text ("${op}" on column "${col.name}")`);
    if (literal === '') return fail('it compares with the empty string, which ONNX inputs use for a missing value');
    const hit = op === '==' ? 1 : 0;
    const keys = col.missingAs === null ? [literal, ''] : [literal];
    const values = col.missingAs === null ? [hit, NaN] : [hit];
    const out = g.op('LabelEncoder', [col.source], {
      keys_strings: { strings: keys },
      values_floats: { floats: values },
      default_float: { float: 1 - hit },
    });
    return castTo(g, out, 'double');
  };

  const compile = (node: ExprNode): Value => {
    switch (node.kind) {
      case 'number':
        return { kind: 'number', tensor: g.scalar(node.value) };
      case 'string':
        return { kind: 'literal', value: node.value };
      case 'null':
        return { kind: 'null' };
      case 'column': {
        const col = context.column(node.name);
        return col.kind === 'number' ? { kind: 'number', tensor: col.tensor } : { kind: 'text', col };
      }
      case 'unary': {
        const x = num(compile(node.arg));
        if (node.op === '-') return { kind: 'number', tensor: g.op('Neg', [x]) };
        return {
          kind: 'number',
          tensor: nanWhere(g, isNaN(g, x), indicator(g, g.op('Equal', [x, g.scalar(0)]))),
        };
      }
      case 'binary':
        return { kind: 'number', tensor: binary(node) };
      case 'call':
        return call(node);
    }
  };

  const binary = (node: Extract<ExprNode, { kind: 'binary' }>): string => {
    const { op } = node;
    const left = compile(node.left);
    const right = compile(node.right);
    if (['==', '!=', '<', '<=', '>', '>='].includes(op)) {
      const text = left.kind === 'text' || left.kind === 'literal' || right.kind === 'text' || right.kind === 'literal';
      if (!text) return compareNumbers(op, num(left), num(right));
      if (left.kind === 'text' && right.kind === 'literal') return compareText(op, left.col, right.value);
      if (left.kind === 'literal' && right.kind === 'text') return compareText(op, right.col, left.value);
      if (left.kind === 'null' || right.kind === 'null') return nan(g);
      return fail('ONNX can compare a text column only with a constant');
    }
    const a = num(left);
    const b = num(right);
    switch (op) {
      case '+':
        return finite(g, g.op('Add', [a, b]));
      case '-':
        return finite(g, g.op('Sub', [a, b]));
      case '*':
        return finite(g, g.op('Mul', [a, b]));
      case '/':
        return finite(g, g.op('Div', [a, b]));
      case '%':
        // fmod: the remainder takes the dividend's sign, as JavaScript's %.
        return finite(g, g.op('Mod', [a, b], { fmod: 1 }));
      case '^': {
        // Math.pow, not C's pow: a NaN exponent, or (±1)^±∞, is NaN; x^0 is 1 even for NaN x.
        let r = g.op('Pow', [a, b]);
        r = nanWhere(g, isNaN(g, b), r);
        r = nanWhere(g, g.op('And', [g.op('Equal', [g.op('Abs', [a]), g.scalar(1)]), g.op('IsInf', [b])]), r);
        return finite(g, where(g, g.op('Equal', [b, g.scalar(0)]), g.scalar(1), r));
      }
      case 'and': {
        const zero = g.op('Or', [g.op('Equal', [a, g.scalar(0)]), g.op('Equal', [b, g.scalar(0)])]);
        return where(g, zero, g.scalar(0), nanWhere(g, eitherNaN(g, a, b), g.scalar(1)));
      }
      case 'or': {
        const truthy = (x: string): string => g.op('And', [bool(x), g.op('Not', [isNaN(g, x)])]);
        const one = g.op('Or', [truthy(a), truthy(b)]);
        return where(g, one, g.scalar(1), nanWhere(g, eitherNaN(g, a, b), g.scalar(0)));
      }
      default:
        throw new KeelError('internal', `unknown operator "${op}"`);
    }
  };

  const call = (node: Extract<ExprNode, { kind: 'call' }>): Value => {
    const { fn, args } = node;
    const values = args.map(compile);
    const number = (tensor: string): Value => ({ kind: 'number', tensor });
    switch (fn) {
      case 'isnull': {
        const [arg] = values;
        if (arg.kind === 'null') return number(g.scalar(1));
        if (arg.kind === 'literal') return number(g.scalar(0));
        if (arg.kind === 'number') return number(indicator(g, isNaN(g, arg.tensor)));
        const missing = g.op('LabelEncoder', [arg.col.source], {
          keys_strings: { strings: [''] },
          values_floats: { floats: [arg.col.missingAs === null ? 1 : 0] },
          default_float: { float: 0 },
        });
        return number(castTo(g, missing, 'double'));
      }
      case 'if': {
        const [condition, then, otherwise] = values;
        if ([then, otherwise].some((v) => v.kind === 'text' || v.kind === 'literal')) {
          return fail('its if() chooses between texts, and ONNX derived columns must be numbers');
        }
        const c = num(condition);
        return number(nanWhere(g, isNaN(g, c), where(g, bool(c), num(then), num(otherwise))));
      }
      case 'coalesce': {
        if (values.some((v) => v.kind === 'text' || v.kind === 'literal')) {
          return fail('its coalesce() picks a text, and ONNX derived columns must be numbers');
        }
        return number(values.map(num).reduce((a, b) => where(g, isNaN(g, a), b, a)));
      }
      case 'min':
      case 'max': {
        const op = fn === 'min' ? 'Min' : 'Max';
        return number(values.map(num).reduce((a, b) => nanWhere(g, eitherNaN(g, a, b), g.op(op, [a, b]))));
      }
      default: {
        const x = num(values[0]);
        switch (fn) {
          case 'abs':
            return number(g.op('Abs', [x]));
          case 'ceil':
            return number(g.op('Ceil', [x]));
          case 'floor':
            return number(g.op('Floor', [x]));
          case 'sqrt':
            return number(g.op('Sqrt', [x]));
          case 'exp':
            return number(finite(g, g.op('Exp', [x])));
          case 'log':
            return number(finite(g, g.op('Log', [x])));
          case 'log1p':
            return number(finite(g, g.op('Log', [g.op('Add', [x, g.scalar(1)])])));
          case 'round':
            // Half away from zero, as Keel's round (ONNX's Round is half to even).
            return number(
              g.op('Mul', [g.op('Sign', [x]), g.op('Floor', [g.op('Add', [g.op('Abs', [x]), g.scalar(0.5)])])]),
            );
          default:
            return fail(`Keel does not know how to export ${fn}()`);
        }
      }
    }
  };

  const result = num(compile(parsed.root));
  // A part that reads no column is a scalar (e.g. `if(x == null, 1, 2)` folds to one): give
  // every result one value per row.
  return g.op('Expand', [result, g.op('Shape', [context.anyInput])], {}, 'derived');
}
