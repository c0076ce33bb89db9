import { chiSquareMethod } from './chi-square.js';
import { jensenShannonMethod } from './jensen-shannon.js';
import { ksMethod } from './ks.js';
import type { DriftMethod, DriftMethodName } from './method.js';
import { psiMethod } from './psi.js';
import { wassersteinMethod } from './wasserstein.js';

export type { DriftMethod, DriftMethodName, FeatureKind, MethodOutcome, SortedSamples } from './method.js';

/** Every drift test, by the name the project file uses. */
export const driftMethods: Readonly<Record<DriftMethodName, DriftMethod>> = {
  psi: psiMethod,
  ks: ksMethod,
  wasserstein: wassersteinMethod,
  jensenshannon: jensenShannonMethod,
  chisquare: chiSquareMethod,
};

export const DRIFT_METHOD_NAMES = Object.keys(driftMethods) as DriftMethodName[];
