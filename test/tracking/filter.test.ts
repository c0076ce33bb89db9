import { describe, expect, it } from 'vitest';
import { KeelError } from '../../src/core/index.js';
import { parseRunFilter, parseRunOrder } from '../../src/tracking/index.js';

/** The error a bad filter fails with. */
function failure(parse: () => unknown): KeelError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(KeelError);
    return error as KeelError;
  }
  throw new Error('expected the parse to fail');
}

describe('parseRunFilter', () => {
  it('reads comparisons of metrics (numbers), params and tags (text) joined by AND', () => {
    expect(parseRunFilter("metrics.roc_auc > 0.8 and params.algorithm = 'random_forest'")).toEqual({
      kind: 'and',
      clauses: [
        { kind: 'condition', field: { kind: 'metric', key: 'roc_auc' }, op: '>', value: 0.8 },
        { kind: 'condition', field: { kind: 'param', key: 'algorithm' }, op: '=', value: 'random_forest' },
      ],
    });
  });

  it('takes every comparison operator, with keywords in any case', () => {
    const ops = ['=', '!=', '<', '<=', '>', '>='] as const;
    for (const op of ops) {
      expect(parseRunFilter(`metrics.loss ${op} -1.5e-3`)).toMatchObject({ op, value: -0.0015 });
    }
    expect(parseRunFilter('metrics.loss <> 1')).toMatchObject({ op: '!=' });
    expect(parseRunFilter("tags.owner LIKE 'an%'")).toMatchObject({ op: 'like', value: 'an%' });
    expect(parseRunFilter("tags.owner ilike 'AN%'")).toMatchObject({ op: 'ilike', value: 'AN%' });
    expect(parseRunFilter('params.algorithm In (\'knn\', "decision_tree")')).toMatchObject({
      op: 'in',
      value: ['knn', 'decision_tree'],
    });
    expect(parseRunFilter('metrics.rank NOT IN (1, 2)')).toMatchObject({ op: 'not in', value: [1, 2] });
  });

  it('reads attributes, with MLflow’s aliases, and timestamps as ISO text or milliseconds', () => {
    expect(parseRunFilter("attributes.status = 'finished'")).toMatchObject({
      field: { kind: 'attribute', name: 'status' },
      value: 'finished',
    });
    expect(parseRunFilter("attributes.run_name = 'lr'")).toMatchObject({ field: { name: 'name' } });
    expect(parseRunFilter("attributes.experiment = 'churn'")).toMatchObject({ field: { name: 'experiment' } });
    expect(parseRunFilter("attributes.start_time >= '2026-01-31'")).toMatchObject({
      field: { name: 'start_time' },
      value: '2026-01-31T00:00:00.000Z',
    });
    expect(parseRunFilter('attributes.end_time < 1767225600000')).toMatchObject({
      value: '2026-01-01T00:00:00.000Z',
    });
  });

  it('reads dotted and quoted keys', () => {
    expect(parseRunFilter("tags.keel.step = 'train'")).toMatchObject({ field: { kind: 'tag', key: 'keel.step' } });
    expect(parseRunFilter('metrics.`f1 score` > 0.5')).toMatchObject({ field: { kind: 'metric', key: 'f1 score' } });
    expect(parseRunFilter('params."max depth" = 3')).toMatchObject({ field: { kind: 'param', key: 'max depth' } });
  });

  it('compares params and tags as the text they are stored as: a number matches String(number)', () => {
    expect(parseRunFilter('params.C = 1.50')).toMatchObject({ value: '1.5' });
    expect(parseRunFilter("params.name = 'it''s'")).toMatchObject({ value: "it's" });
  });

  it('binds AND tighter than OR, honours parentheses and flattens chains', () => {
    const a = { kind: 'condition', field: { kind: 'metric', key: 'a' }, op: '=', value: 1 };
    const b = { ...a, field: { kind: 'metric', key: 'b' } };
    const c = { ...a, field: { kind: 'metric', key: 'c' } };
    expect(parseRunFilter('metrics.a = 1 or metrics.b = 1 and metrics.c = 1')).toEqual({
      kind: 'or',
      clauses: [a, { kind: 'and', clauses: [b, c] }],
    });
    expect(parseRunFilter('(metrics.a = 1 or metrics.b = 1) and metrics.c = 1')).toEqual({
      kind: 'and',
      clauses: [{ kind: 'or', clauses: [a, b] }, c],
    });
    expect(parseRunFilter('metrics.a = 1 and (metrics.b = 1 and metrics.c = 1)')).toEqual({
      kind: 'and',
      clauses: [a, b, c],
    });
  });

  it('treats an empty filter as none', () => {
    expect(parseRunFilter('')).toBeUndefined();
    expect(parseRunFilter('   ')).toBeUndefined();
  });

  it('names the column and the way out of every mistake', () => {
    const cases: Array<[string, string, number]> = [
      [
        'metric.auc > 1',
        'filter: unknown field "metric.auc" at column 1; use metrics.NAME, params.NAME, tags.NAME or attributes.NAME',
        1,
      ],
      ["status = 'finished'", 'filter: unknown field "status" at column 1; did you mean attributes.status?', 1],
      ['attributes.colour = 1', 'filter: unknown attribute "colour" at column 1; attributes are run_id, name', 1],
      ["metrics.auc > 'high'", "filter: metrics.auc is a number, not the text 'high' at column 15", 15],
      ['params.C > 1', 'filter: params.C is text and cannot be compared with > at column 10; use =, !=, LIKE', 10],
      ["metrics.auc LIKE '0.9%'", 'filter: metrics.auc is a number and cannot be compared with LIKE at column 13', 13],
      [
        "attributes.status = 'done'",
        "filter: unknown status 'done' at column 21; a run is running, finished, failed",
        21,
      ],
      ["attributes.start_time > 'yesterday'", "filter: attributes.start_time needs a timestamp, not 'yesterday'", 25],
      ['metrics.auc >', 'filter: expected a value for metrics.auc, found the end at column 14', 14],
      [
        "metrics.auc > 1 params.C = '1'",
        'filter: expected AND, OR or the end of the filter, found "params.C" at column 17',
        17,
      ],
      [
        "(metrics.auc > 1 and params.C = '1'",
        'filter: expected ")" to close the parenthesis, found the end at column 36',
        36,
      ],
      ["params.C = 'open", "filter: unterminated text 'open at column 12", 12],
      ['metrics.auc ~ 1', 'filter: unexpected character "~" at column 13', 13],
      ['metrics.auc IN 1', 'filter: expected "(" after IN, found "1" at column 16', 16],
      ['metrics. > 1', 'filter: "metrics." names no key at column 1', 1],
      [`${'('.repeat(40)}metrics.a = 1${')'.repeat(40)}`, 'filter: parentheses nest deeper than 30 at column 31', 31],
    ];
    for (const [text, message, column] of cases) {
      const error = failure(() => parseRunFilter(text));
      expect(error.code, text).toBe('invalid_argument');
      expect(error.message, text).toContain(message);
      expect(error.details, text).toMatchObject({ field: 'filter', column });
    }
  });
});

describe('parseRunOrder', () => {
  it('reads sort keys, ascending unless DESC, from one text or several', () => {
    expect(parseRunOrder('metrics.roc_auc DESC, attributes.start_time')).toEqual([
      { field: { kind: 'metric', key: 'roc_auc' }, direction: 'desc' },
      { field: { kind: 'attribute', name: 'start_time' }, direction: 'asc' },
    ]);
    expect(parseRunOrder(['params.C asc', 'tags.owner'])).toEqual([
      { field: { kind: 'param', key: 'C' }, direction: 'asc' },
      { field: { kind: 'tag', key: 'owner' }, direction: 'asc' },
    ]);
    expect(parseRunOrder('')).toEqual([]);
  });

  it('names the column of a mistake', () => {
    const error = failure(() => parseRunOrder('metrics.auc DESC attributes.name'));
    expect(error.message).toBe(
      'orderBy: expected ASC, DESC, a comma or the end of the sort keys, found "attributes.name" at column 18',
    );
    expect(error.details).toMatchObject({ field: 'orderBy', column: 18 });
    expect(failure(() => parseRunOrder('auc desc')).message).toContain('orderBy: unknown field "auc" at column 1');
  });
});
