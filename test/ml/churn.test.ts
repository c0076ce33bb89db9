/**
 * A sanity check on real data: the Telco churn example's numeric columns, split the same way
 * as in make-fixtures.py, compared with scikit-learn on the same rows.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DecisionTreeClassifier, LogisticRegression, accuracy, logLoss, rocAuc } from '../../src/ml/index.js';
import { fixture, maxAbsDiff } from './helpers.js';

interface ChurnFixture {
  columns: string[];
  rows: number;
  logisticRegression: {
    classes: string[];
    coef: number[][];
    intercept: number[];
    testRocAuc: number;
    testLogLoss: number;
    testAccuracy: number;
  };
  decisionTree: { params: { maxDepth: number }; testAccuracy: number; testRocAuc: number; nodeCount: number };
}

const reference = fixture<ChurnFixture>('churn.json');

/** The numeric columns and the target, dropping rows whose TotalCharges is blank (new customers). */
function loadChurn(): { X: number[][]; y: string[] } {
  const [header, ...lines] = readFileSync(new URL('../../examples/churn/telco_churn.csv', import.meta.url), 'utf8')
    .trim()
    .split(/\r?\n/);
  const names = header.split(',');
  const at = (name: string): number => names.indexOf(name);
  const X: number[][] = [];
  const y: string[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    if (cells[at('TotalCharges')].trim() === '') continue;
    X.push(reference.columns.map((name) => Number(cells[at(name)])));
    y.push(cells[at('Churn')]);
  }
  return { X, y };
}

describe('churn example (numeric columns)', () => {
  const { X, y } = loadChurn();
  const isTest = (i: number): boolean => i % 5 === 0;
  const train = { X: X.filter((_, i) => !isTest(i)), y: y.filter((_, i) => !isTest(i)) };
  const test = { X: X.filter((_, i) => isTest(i)), y: y.filter((_, i) => isTest(i)) };

  it('reads the same rows as the fixture', () => {
    expect(X).toHaveLength(reference.rows);
  });

  it('LogisticRegression reaches scikit-learn’s coefficients on unscaled columns', async () => {
    const expected = reference.logisticRegression;
    const model = await new LogisticRegression({ tol: 1e-8, maxIter: 1000 }).fit(train.X, train.y);
    expect(model.converged).toBe(true);
    expect(model.classes).toEqual(expected.classes);
    // Relative agreement: TotalCharges' coefficient is ~2e-4, tenure's ~7e-2.
    model.coef.data.forEach((value, j) => expect(Math.abs(value / expected.coef[0][j] - 1)).toBeLessThan(1e-5));
    expect(maxAbsDiff(model.intercept, expected.intercept)).toBeLessThan(1e-5);
    const proba = model.predictProba(test.X);
    expect(rocAuc(test.y, proba, { classes: model.classes, posLabel: 'Yes' })).toBeCloseTo(expected.testRocAuc, 6);
    expect(logLoss(test.y, proba, { classes: model.classes })).toBeCloseTo(expected.testLogLoss, 6);
    expect(accuracy(test.y, model.predict(test.X))).toBeCloseTo(expected.testAccuracy, 6);
  });

  it('LogisticRegression with default params converges despite columns on very different scales', async () => {
    const model = await new LogisticRegression().fit(train.X, train.y);
    expect(model.converged).toBe(true);
    const loss = logLoss(test.y, model.predictProba(test.X), { classes: model.classes });
    expect(Math.abs(loss - reference.logisticRegression.testLogLoss)).toBeLessThan(1e-4);
  });

  it('DecisionTreeClassifier scores like scikit-learn’s tree of the same depth', async () => {
    const expected = reference.decisionTree;
    const model = await new DecisionTreeClassifier(expected.params).fit(train.X, train.y);
    expect(model.tree.nodeCount).toBe(expected.nodeCount);
    expect(accuracy(test.y, model.predict(test.X))).toBeCloseTo(expected.testAccuracy, 6);
    const auc = rocAuc(test.y, model.predictProba(test.X), { classes: model.classes, posLabel: 'Yes' });
    expect(auc).toBeCloseTo(expected.testRocAuc, 6);
  });
});
