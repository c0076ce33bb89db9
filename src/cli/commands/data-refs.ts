import { InvalidArgumentError, type Command } from 'commander';
import { isKeelError, notFound, type DatasetVersion } from '../../core/index.js';
import type { EffectiveSchema } from '../../data/index.js';
import { openWorkspace, type Workspace } from '../../server/index.js';

/** `NAME` or `NAME@VERSION` from the command line. */
export interface DatasetRefArg {
  readonly dataset: string;
  /** Absent: the latest version. */
  readonly version?: number;
}

const DATASET_REF = /^([a-z0-9][a-z0-9_-]{0,62})(?:@([1-9]\d{0,8}))?$/;

/** Argument parser for commander: a malformed reference is a usage error (exit code 2). */
export function datasetRefArg(value: string): DatasetRefArg {
  const match = DATASET_REF.exec(value);
  if (!match) {
    throw new InvalidArgumentError(`"${value}" is not a dataset reference: use NAME or NAME@VERSION (e.g. churn@2)`);
  }
  return match[2] === undefined ? { dataset: match[1] } : { dataset: match[1], version: Number(match[2]) };
}

/**
 * Runs a check of the command line's own values; a KeelError it throws becomes a usage error
 * (exit code 2, in commander's words) instead of a failure of the command (exit code 1).
 */
export function usageCheck(command: Command, check: () => unknown): void {
  try {
    check();
  } catch (error) {
    if (!isKeelError(error)) throw error;
    command.error(`error: ${error.message}`, { exitCode: 2, code: 'keel.usage' });
  }
}

function formatRef(ref: DatasetRefArg): string {
  return ref.version === undefined ? ref.dataset : `${ref.dataset}@${ref.version}`;
}

export function versionRef(version: DatasetVersion): string {
  return `${version.dataset}@${version.version}`;
}

export async function loadDatasetVersion(ws: Workspace, ref: DatasetRefArg): Promise<DatasetVersion> {
  const version = await ws.metadata.getDatasetVersion(ref.dataset, ref.version);
  if (!version) {
    throw notFound(`no dataset ${formatRef(ref)}${ref.version === undefined ? ' (see `keel data list`)' : ''}`, {
      field: 'dataset',
    });
  }
  return version;
}

/** Runs `work` on the workspace of `$KEEL_HOME`, closing it however `work` ends. */
export async function withWorkspace<T>(work: (ws: Workspace) => Promise<T>): Promise<T> {
  const ws = await openWorkspace();
  try {
    return await work(ws);
  } finally {
    await ws.close();
  }
}

/** E.g. `edited, schema version 2` or `inferred at import`. */
export function describeSchemaSource(effective: Pick<EffectiveSchema, 'source' | 'schemaVersion'>): string {
  return effective.schemaVersion === null ? 'inferred at import' : `edited, schema version ${effective.schemaVersion}`;
}

/** Option parser for commander: a share of rows, 0 to 1. */
export function shareArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new InvalidArgumentError(`must be a share between 0 and 1 (e.g. 0.05), got "${value}"`);
  }
  return n;
}

export function fmtCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `0.0123` → `+1.23%`; null → `–`. */
export function fmtSignedPercent(share: number | null): string {
  if (share === null) return '–';
  const text = `${Number((share * 100).toPrecision(3))}%`;
  return share > 0 ? `+${text}` : text;
}
