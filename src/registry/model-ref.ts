import { invalidArgument } from '../core/index.js';

/** `name`, `name@3` (a version) or `name@champion` (an alias). */
export type ModelRef =
  | { readonly name: string; readonly version: number }
  | { readonly name: string; readonly alias: string }
  | { readonly name: string; readonly latest: true };

export function parseModelRef(ref: string): ModelRef {
  const match = /^([a-z0-9][a-z0-9_-]*)(?:@([A-Za-z0-9_-]+))?$/.exec(ref.trim());
  if (!match) {
    throw invalidArgument(
      `"${ref}" is not a model reference: use NAME, NAME@VERSION or NAME@ALIAS (e.g. churn@champion)`,
      {
        field: 'model',
      },
    );
  }
  const [, name, suffix] = match;
  if (suffix === undefined || suffix === 'latest') return { name, latest: true };
  if (/^\d+$/.test(suffix)) return { name, version: Number(suffix) };
  return { name, alias: suffix };
}

export function formatModelRef(name: string, version: number): string {
  return `${name}@${version}`;
}
