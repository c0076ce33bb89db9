import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KeelError, loadProject, parseProject } from '../../src/core/index.js';
import { churnProjectDir } from '../helpers/demo-server.js';

const churnYaml = readFileSync(join(churnProjectDir, 'keel.yaml'), 'utf8');

function configError(text: string): KeelError {
  try {
    parseProject(text, 'keel.yaml');
  } catch (error) {
    if (error instanceof KeelError) return error;
    throw error;
  }
  throw new Error('expected the project file to be rejected');
}

describe('the project file (keel.yaml)', () => {
  it('loads the churn example', () => {
    const project = loadProject(churnProjectDir);
    expect(project.config.task).toMatchObject({
      type: 'binary_classification',
      target: 'Churn',
      idColumn: 'customerID',
    });
    expect(project.config.training.candidates.map((c) => c.algorithm)).toEqual([
      'logistic_regression',
      'decision_tree',
    ]);
    expect(project.config.evaluation?.thresholds?.roc_auc).toEqual({ min: 0.8 });
  });

  it('names an unknown key with its full path', () => {
    const error = configError(churnYaml.replace('  testSize: 0.2', '  testSise: 0.2'));
    expect(error.code).toBe('invalid_config');
    expect(error.details.field).toBe('split.testSise');
    expect(error.message).toContain('split.testSise: unknown key');
  });

  it('names a value of the wrong type', () => {
    const error = configError(churnYaml.replace('testSize: 0.2', 'testSize: lots'));
    expect(error.details.field).toBe('split.testSize');
    expect(error.message).toMatch(/split\.testSize: must be number/);
  });

  it('names a bad search dimension inside a list', () => {
    const error = configError(
      churnYaml.replace(
        'params: { maxDepth: 6, minSamplesLeaf: 20 }',
        'params: { minSamplesLeaf: 20 }\n      search:\n        method: grid\n        space:\n          maxDepth: { distribution: gaussian, low: 1, high: 9 }',
      ),
    );
    expect(error.details.field).toBe('training.candidates[1].search.space.maxDepth.distribution');
    expect(error.message).toContain('must be one of: uniform, loguniform, randint');
  });

  it('names a missing required key', () => {
    const error = configError(churnYaml.replace('  target: Churn\n', ''));
    expect(error.details.field).toBe('task.target');
    expect(error.message).toContain('is required');
  });

  it('reports broken YAML with its line', () => {
    const error = configError('name: churn\ntask: [unclosed\n');
    expect(error.message).toMatch(/^keel\.yaml:\d+: invalid YAML/);
  });

  it('says clearly when there is no project', () => {
    expect(() => loadProject('/definitely/not/here')).toThrow(/no project at \/definitely\/not\/here/);
    const empty = mkdtempSync(join(tmpdir(), 'keel-empty-'));
    expect(() => loadProject(empty)).toThrow(/no keel\.yaml in/);
    writeFileSync(join(empty, 'keel.yaml'), '');
    expect(() => loadProject(empty)).toThrow(/\(top level\)|must be object/);
  });
});
