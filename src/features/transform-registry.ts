import { KeelError } from '../core/index.js';
import { Clip, type ClipParams } from './clip.js';
import { DateParts, type DatePartsParams } from './date-parts.js';
import { HashingEncoder, type HashingEncoderParams } from './hashing-encoder.js';
import { KBinsDiscretizer, type KBinsDiscretizerParams } from './k-bins-discretizer.js';
import { LogTransform, type LogTransformParams } from './log-transform.js';
import { MinMaxScaler, type MinMaxScalerParams } from './min-max-scaler.js';
import { OneHotEncoder, type OneHotEncoderParams } from './one-hot-encoder.js';
import { OrdinalEncoder, type OrdinalEncoderParams } from './ordinal-encoder.js';
import { RobustScaler, type RobustScalerParams } from './robust-scaler.js';
import { SimpleImputer, type SimpleImputerParams } from './simple-imputer.js';
import { StandardScaler, type StandardScalerParams } from './standard-scaler.js';
import { TargetEncoder, type TargetEncoderParams } from './target-encoder.js';
import { incompatible, jsonObject, jsonString, type Transform, type TransformJSON } from './transform.js';

/** One kind of transform: its keel.yaml name, its JSON type and how to build it. */
interface TransformKind {
  /** The `type` of a transform spec in keel.yaml, e.g. `simple_imputer`. */
  readonly name: string;
  /** The `type` in its JSON, e.g. `SimpleImputer`. */
  readonly type: string;
  /** Params are checked by the constructor, which names the offending one. */
  create(params: Readonly<Record<string, unknown>>): Transform;
  fromJSON(json: TransformJSON, path: string): Transform;
}

// The casts hand raw params to constructors that check every key and value themselves.
const KINDS: readonly TransformKind[] = [
  {
    name: 'simple_imputer',
    type: 'SimpleImputer',
    create: (p) => new SimpleImputer(p as SimpleImputerParams),
    fromJSON: SimpleImputer.fromJSON,
  },
  {
    name: 'standard_scaler',
    type: 'StandardScaler',
    create: (p) => new StandardScaler(p as StandardScalerParams),
    fromJSON: StandardScaler.fromJSON,
  },
  {
    name: 'min_max_scaler',
    type: 'MinMaxScaler',
    create: (p) => new MinMaxScaler(p as MinMaxScalerParams),
    fromJSON: MinMaxScaler.fromJSON,
  },
  {
    name: 'robust_scaler',
    type: 'RobustScaler',
    create: (p) => new RobustScaler(p as RobustScalerParams),
    fromJSON: RobustScaler.fromJSON,
  },
  {
    name: 'one_hot_encoder',
    type: 'OneHotEncoder',
    create: (p) => new OneHotEncoder(p as OneHotEncoderParams),
    fromJSON: OneHotEncoder.fromJSON,
  },
  {
    name: 'ordinal_encoder',
    type: 'OrdinalEncoder',
    create: (p) => new OrdinalEncoder(p as OrdinalEncoderParams),
    fromJSON: OrdinalEncoder.fromJSON,
  },
  {
    name: 'target_encoder',
    type: 'TargetEncoder',
    create: (p) => new TargetEncoder(p as TargetEncoderParams),
    fromJSON: TargetEncoder.fromJSON,
  },
  {
    name: 'k_bins_discretizer',
    type: 'KBinsDiscretizer',
    create: (p) => new KBinsDiscretizer(p as KBinsDiscretizerParams),
    fromJSON: KBinsDiscretizer.fromJSON,
  },
  {
    name: 'log',
    type: 'LogTransform',
    create: (p) => new LogTransform(p as LogTransformParams),
    fromJSON: LogTransform.fromJSON,
  },
  { name: 'clip', type: 'Clip', create: (p) => new Clip(p as ClipParams), fromJSON: Clip.fromJSON },
  {
    name: 'date_parts',
    type: 'DateParts',
    create: (p) => new DateParts(p as DatePartsParams),
    fromJSON: DateParts.fromJSON,
  },
  {
    name: 'hashing_encoder',
    type: 'HashingEncoder',
    create: (p) => new HashingEncoder(p as HashingEncoderParams),
    fromJSON: HashingEncoder.fromJSON,
  },
];

/** The keel.yaml names of every transform, e.g. `simple_imputer`. */
export const TRANSFORM_NAMES: readonly string[] = KINDS.map((k) => k.name);

/** A transform spec as keel.yaml writes it: `{ type: snake_case name, ...camelCase params }`. */
export interface TransformSpec {
  readonly type: string;
  readonly [param: string]: unknown;
}

/**
 * Builds a transform from its keel.yaml spec. An unknown type or param, or a bad value, is an
 * `invalid_config` error naming `path.type` or `path.PARAM` (e.g.
 * `features.steps[0].transforms[1].featureRange`).
 */
export function createTransform(spec: TransformSpec, path: string): Transform {
  const { type, ...params } = spec;
  const kind = KINDS.find((k) => k.name === type);
  if (!kind) {
    throw new KeelError(
      'invalid_config',
      `${path}.type: unknown transform ${JSON.stringify(type)} (transforms: ${TRANSFORM_NAMES.join(', ')})`,
      { field: `${path}.type` },
    );
  }
  return atPath(path, Object.keys(params), () => kind.create(params));
}

/** The keel.yaml spec of a transform: its name and params (the inverse of `createTransform`). */
export function transformSpecOf(transform: Transform): TransformSpec {
  const kind = KINDS.find((k) => k.type === transform.type);
  if (!kind) throw new KeelError('internal', `transform type ${transform.type} is not registered`);
  return { type: kind.name, ...transform.toJSON().params };
}

/**
 * Runs `work` (building or fitting a transform), reporting an error about one of its params as
 * an `invalid_config` error at `path.PARAM`.
 */
export function atPath<T>(path: string, params: readonly string[], work: () => T): T {
  try {
    return work();
  } catch (error) {
    const field = error instanceof KeelError ? error.details.field : undefined;
    if (error instanceof KeelError && typeof field === 'string' && (params.includes(field) || field === 'params')) {
      throw new KeelError('invalid_config', `${path}.${field}: ${error.message}`, {
        ...error.details,
        field: `${path}.${field}`,
      });
    }
    throw error;
  }
}

/** Rebuilds one transform from its JSON, by type. */
export function transformFromJSON(value: unknown, path = '$'): Transform {
  const json = jsonObject(value, path);
  const parsed: TransformJSON = {
    type: jsonString(json.type, `${path}.type`),
    params: jsonObject(json.params ?? {}, `${path}.params`),
    state: json.state ?? null,
  };
  const kind = KINDS.find((k) => k.type === parsed.type);
  if (!kind) throw incompatible(`${path}.type`, `one of ${KINDS.map((k) => k.type).join(', ')}`);
  return kind.fromJSON(parsed, path);
}
