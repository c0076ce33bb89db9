import { describe, expect, test } from 'vitest';
import type { Column } from '../../src/core/index.js';
import { bindExpression, parseExpression, type ValueType } from '../../src/features/index.js';
import { numberColumn, textColumn } from './helpers.js';

// The derived-column expression language: parsed once, no eval, one set of scalar functions for
// the batch and the single-row path.

const columns: Column[] = [
  numberColumn('tenure', [1, 34, null, 72]),
  numberColumn('charges', [29.85, 56.95, 42.3, 0]),
  textColumn('contract', ['Month-to-month', 'One year', null, 'Two year']),
  numberColumn('Monthly Charges', [1, 2, 3, 4]),
];
const typeOf = (name: string): ValueType | undefined => {
  const c = columns.find((x) => x.name === name);
  return c ? (c.kind === 'number' ? 'number' : 'string') : undefined;
};

/** Evaluates `expr` both ways over the four rows above; they must agree bit for bit. */
function evaluate(expr: string): Array<number | string | null> {
  const bound = bindExpression(parseExpression(expr, 'expr'), typeOf, 'expr');
  const batch = bound.evaluateBatch({ rows: 4, columns: new Map(columns.map((c) => [c.name, c])) });
  return Array.from({ length: 4 }, (_, i) => {
    const record = Object.fromEntries(columns.map((c) => [c.name, c.values[i]]));
    const one = bound.evaluateRecord(record);
    if (!Object.is(one, batch[i]))
      throw new Error(`${expr}, row ${i}: ${String(one)} (row) vs ${String(batch[i])} (batch)`);
    return typeof one === 'number' && Number.isNaN(one) ? null : one;
  });
}

const parseError = (expr: string) => () => parseExpression(expr, 'features.derived[0].expr');

describe('values and operators', () => {
  test('arithmetic with the usual precedence; ^ is right-associative and binds tighter than unary minus', () => {
    expect(evaluate('1 + 2 * 3 - 4 / 2')).toEqual([5, 5, 5, 5]);
    expect(evaluate('2 ^ 3 ^ 2')).toEqual([512, 512, 512, 512]);
    expect(evaluate('-2 ^ 2')).toEqual([-4, -4, -4, -4]);
    expect(evaluate('(1 + 2) * 3')).toEqual([9, 9, 9, 9]);
    expect(evaluate('7 % 3 + -7 % 3')).toEqual([0, 0, 0, 0]);
    expect(evaluate('1.5e1 + .5')).toEqual([15.5, 15.5, 15.5, 15.5]);
  });

  test('columns by bare name or in backticks; missing values propagate', () => {
    expect(evaluate('charges * tenure')).toEqual([29.85, 56.95 * 34, null, 0]);
    expect(evaluate('`Monthly Charges` + 1')).toEqual([2, 3, 4, 5]);
  });

  test('comparisons give 1/0, and missing when either side is missing', () => {
    expect(evaluate('tenure >= 34')).toEqual([0, 1, null, 1]);
    expect(evaluate('contract == "One year"')).toEqual([0, 1, null, 0]);
    expect(evaluate("contract != 'One year'")).toEqual([1, 0, null, 1]);
    expect(evaluate('contract < "P"')).toEqual([1, 1, null, 0]);
  });

  test('and / or / not use three-valued logic', () => {
    expect(evaluate('tenure > 10 and charges > 50')).toEqual([0, 1, 0, 0]);
    expect(evaluate('tenure > 10 and charges > 40')).toEqual([0, 1, null, 0]);
    expect(evaluate('tenure > 10 or charges > 50')).toEqual([0, 1, null, 1]);
    expect(evaluate('charges < 1 and tenure > 10')).toEqual([0, 0, 0, 1]);
    expect(evaluate('charges > 40 or tenure > 10')).toEqual([0, 1, 1, 1]);
    expect(evaluate('not (tenure > 10)')).toEqual([1, 0, null, 0]);
    expect(evaluate('true and not false')).toEqual([1, 1, 1, 1]);
  });

  test('functions', () => {
    expect(evaluate('log(charges)')).toEqual([Math.log(29.85), Math.log(56.95), Math.log(42.3), null]);
    expect(evaluate('log1p(tenure)')).toEqual([Math.log1p(1), Math.log1p(34), null, Math.log1p(72)]);
    expect(evaluate('sqrt(tenure) + abs(-1) + exp(0)')).toEqual([3, Math.sqrt(34) + 2, null, Math.sqrt(72) + 2]);
    expect(evaluate('min(tenure, charges, 40)')).toEqual([1, 34, null, 0]);
    expect(evaluate('max(tenure, charges)')).toEqual([29.85, 56.95, null, 72]);
    expect(evaluate('floor(charges) + ceil(charges) / 100')).toEqual([29.3, 56.57, 42.43, 0]);
    expect(evaluate('round(2.5) + round(-2.5) + round(charges)')).toEqual([30, 57, 42, 0]);
    expect(evaluate('if(tenure > 12, "long", "short")')).toEqual(['short', 'long', null, 'long']);
    expect(evaluate('if(contract == "Two year", charges, null)')).toEqual([null, null, null, 0]);
    expect(evaluate('isnull(tenure) + isnull(contract)')).toEqual([0, 0, 2, 0]);
    expect(evaluate('coalesce(tenure, -1)')).toEqual([1, 34, -1, 72]);
    expect(evaluate('coalesce(contract, "unknown")')).toEqual(['Month-to-month', 'One year', 'unknown', 'Two year']);
    expect(evaluate('IF(TRUE, 1, 0)')).toEqual([1, 1, 1, 1]);
  });

  test('a result that is not finite is missing: division by zero, log(0), overflow', () => {
    expect(evaluate('tenure / charges')).toEqual([1 / 29.85, 34 / 56.95, null, null]);
    expect(evaluate('log(charges - charges)')).toEqual([null, null, null, null]);
    expect(evaluate('exp(1000) + 10 ^ 400')).toEqual([null, null, null, null]);
    expect(evaluate('0 / 0')).toEqual([null, null, null, null]);
  });

  test('the columns an expression reads, in order of first use', () => {
    expect(parseExpression('if(tenure > 0, charges / tenure, `Monthly Charges`) + tenure', 'e').columns).toEqual([
      'tenure',
      'charges',
      'Monthly Charges',
    ]);
  });
});

describe('errors name the position (1-based column)', () => {
  test.each([
    ['log(tenure))', 'unexpected ")" at column 12'],
    ['tenure +', 'unexpected end of expression at column 9'],
    ['(tenure + 1', 'expected ")" but found the end of the expression at column 12'],
    ['tenure = 1', 'unexpected "=" (compare with ==) at column 8'],
    ['tenure && 1', 'unexpected "&" (use and, or, not) at column 8'],
    ['lg(tenure)', 'unknown function "lg" (functions: abs, ceil, coalesce'],
    ['log(tenure, 2)', 'log() takes 1 argument, got 2 at column 1'],
    ['if(tenure, 1)', 'if() takes 3 arguments, got 2 at column 1'],
    ['"open', 'unterminated string at column 1'],
    ['`Monthly', 'unterminated `quoted` column name at column 1'],
    ['1 < tenure < 5', 'comparisons cannot be chained (combine them with and) at column 12'],
    ['tenure $ 2', 'unexpected character "$" at column 8'],
    ['', 'empty expression at column 1'],
    ['1e+', 'malformed number "1e+" at column 1'],
    ['tenure 2', 'unexpected number 2 at column 8'],
  ])('%s', (expr, message) => {
    expect(parseError(expr)).toThrow(`features.derived[0].expr: ${message}`);
    expect(parseError(expr)).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        details: expect.objectContaining({ field: 'features.derived[0].expr' }),
      }),
    );
  });

  test('type errors and unknown columns are found when binding, with their position', () => {
    const bind = (expr: string) => () =>
      bindExpression(parseExpression(expr, 'd'), typeOf, 'd', () => columns.map((c) => c.name));
    expect(bind('tenure + contract')).toThrow('d: "+" needs a number, but "contract" is text at column 10');
    expect(bind('tenure + nope')).toThrow(
      'd: unknown column "nope" (columns: tenure, charges, contract, Monthly Charges) at column 10',
    );
    expect(bind('contract == 1')).toThrow('d: "==" mixes text and numbers (the number 1 is a number) at column 13');
    expect(bind('if(tenure > 1, contract, 0)')).toThrow(/if\(\) mixes text and numbers/);
    expect(bind('-contract')).toThrow('d: "-" needs a number, but "contract" is text at column 2');
  });
});
