import { KeelError, type ProjectConfig } from '../../core/index.js';
import { driftMethods, type DriftMethodName, type FeatureKind } from './methods/index.js';

export type DriftMethodChoice = 'auto' | DriftMethodName;

/** How drift is judged: the project file's `monitoring.drift`, resolved with the defaults. */
export interface DriftSettings {
  /** The test of every feature without an override. */
  readonly method: DriftMethodChoice;
  /** The threshold of `method` when it is not auto; default: the method's own. */
  readonly threshold?: number;
  /** Benjamini-Hochberg across the features judged by a p-value, or none. */
  readonly correction: 'bh' | 'none';
  /** Dataset drift when at least this share of the tested features drifted. */
  readonly share: number;
  /** Fewer current rows than this: scores are reported, no feature is called drifted. */
  readonly minRows: number;
  /** `auto` uses p-value tests up to this many rows in the smaller sample, distances above. */
  readonly smallSample: number;
  readonly features: Readonly<Record<string, { readonly method?: DriftMethodChoice; readonly threshold?: number }>>;
}

export type DriftConfig = NonNullable<NonNullable<ProjectConfig['monitoring']>['drift']>;

export const DEFAULT_DRIFT_SETTINGS: DriftSettings = {
  method: 'auto',
  correction: 'bh',
  share: 0.5,
  minRows: 100,
  smallSample: 1000,
  features: {},
};

/**
 * The settings of a project's `monitoring.drift` block, checked beyond its schema: a p-value
 * threshold must be below 1, a method must fit its feature's type when that is known (`kinds`,
 * by feature name). Errors name the key (`monitoring.drift.features.Contract.method`).
 *
 * `metric` is the older name of `method`; a `threshold` with neither meant PSI (the only
 * metric then), and still does.
 */
export function driftSettings(
  config: DriftConfig | undefined,
  kinds?: ReadonlyMap<string, FeatureKind>,
): DriftSettings {
  if (!config) return DEFAULT_DRIFT_SETTINGS;
  if (config.method && config.metric && config.method !== config.metric) {
    throw configError('monitoring.drift.metric', `is "${config.metric}" but method is "${config.method}"; keep one`);
  }
  const method: DriftMethodChoice = config.method ?? config.metric ?? (config.threshold !== undefined ? 'psi' : 'auto');
  if (config.threshold !== undefined) {
    if (method === 'auto') {
      throw configError(
        'monitoring.drift.threshold',
        'needs a method: with method auto each feature gets its test’s own threshold (set method, or thresholds under features)',
      );
    }
    checkThreshold(method, config.threshold, 'monitoring.drift.threshold');
  }
  const features: Record<string, { method?: DriftMethodChoice; threshold?: number }> = {};
  for (const [name, override] of Object.entries(config.features ?? {})) {
    const path = `monitoring.drift.features.${name}`;
    const kind = kinds?.get(name);
    if (kinds && kind === undefined) {
      throw configError(path, `is not a feature of the model (features: ${[...kinds.keys()].join(', ')})`);
    }
    const own = override.method ?? method;
    if (override.method && override.method !== 'auto' && kind && !driftMethods[override.method].kinds.includes(kind)) {
      throw configError(`${path}.method`, `${override.method} does not apply to a ${kind} feature`);
    }
    if (override.threshold !== undefined) {
      if (own === 'auto') {
        throw configError(
          `${path}.threshold`,
          'needs a method next to it: auto picks the test, and with it the threshold',
        );
      }
      checkThreshold(own, override.threshold, `${path}.threshold`);
    }
    features[name] = { ...override };
  }
  return {
    ...DEFAULT_DRIFT_SETTINGS,
    method,
    ...(config.threshold !== undefined ? { threshold: config.threshold } : {}),
    correction: config.correction ?? 'bh',
    share: config.share ?? DEFAULT_DRIFT_SETTINGS.share,
    minRows: config.minRows ?? DEFAULT_DRIFT_SETTINGS.minRows,
    features,
  };
}

function checkThreshold(method: DriftMethodName, threshold: number, path: string): void {
  if (driftMethods[method].verdictBy === 'pValue' && threshold >= 1) {
    throw configError(path, `is a p-value threshold for ${method} and must be below 1, got ${threshold}`);
  }
}

function configError(field: string, message: string): KeelError {
  return new KeelError('invalid_config', `${field}: ${message}`, { field });
}

/** What `auto` needs to know about a feature to choose its test. */
export interface AutoInput {
  readonly kind: FeatureKind;
  /** Distinct reference values, when known (numeric). */
  readonly distinct?: number;
  readonly referenceCount: number;
  readonly currentCount: number;
}

/**
 * Evidently's choice of test, by type and sample size: p-value tests on small samples (KS for
 * numeric, chi-square for categorical and numeric with ≤ 5 values), distances on large ones
 * (normalised Wasserstein, Jensen-Shannon), where every p-value test flags shifts too small to
 * matter. "Small" is the smaller of the two samples ≤ 1000 (Evidently looks at the reference
 * alone; a live window is usually the smaller sample, and a distance on a few hundred rows is
 * mostly noise).
 */
export function autoMethod(input: AutoInput, settings: DriftSettings): DriftMethodName {
  const small = Math.min(input.referenceCount, input.currentCount) <= settings.smallSample;
  const discrete = input.kind === 'categorical' || (input.distinct !== undefined && input.distinct <= 5);
  if (discrete) return small ? 'chisquare' : 'jensenshannon';
  return small ? 'ks' : 'wasserstein';
}

/**
 * The test and threshold of one feature: its override, else the settings' method (left to auto
 * on a feature of a type it does not apply to, e.g. ks on a categorical), else auto; the
 * threshold given with that method, else the method's default.
 */
export function featureMethod(
  feature: string,
  input: AutoInput,
  settings: DriftSettings,
): { method: DriftMethodName; threshold: number } {
  const override = settings.features[feature];
  const own = override?.method ?? settings.method;
  if (override?.method && override.method !== 'auto' && !driftMethods[override.method].kinds.includes(input.kind)) {
    throw configError(
      `monitoring.drift.features.${feature}.method`,
      `${override.method} does not apply to a ${input.kind} feature`,
    );
  }
  const method = own === 'auto' || !driftMethods[own].kinds.includes(input.kind) ? autoMethod(input, settings) : own;
  let threshold = driftMethods[method].defaultThreshold;
  if (override?.threshold !== undefined && method === own) threshold = override.threshold;
  else if (settings.threshold !== undefined && method === settings.method) threshold = settings.threshold;
  return { method, threshold };
}
