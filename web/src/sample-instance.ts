import type { DataProfile, ModelSignature } from '../../src/core/entities.js';

export type Instance = Record<string, string | number | boolean>;

/**
 * A plausible input row for a model, for the ready-to-paste `curl` on the endpoint page: the
 * median or most common value of each column of the training data when its profile is known,
 * otherwise a value of the right type.
 */
export function sampleInstance(signature: ModelSignature, profile?: DataProfile): Instance {
  const columns = new Map(profile?.columns.map((column) => [column.name, column]));
  const instance: Instance = {};
  for (const input of signature.inputs) {
    const column = columns.get(input.name);
    switch (input.type) {
      case 'integer':
      case 'float': {
        const typical = column?.quantiles?.['0.5'] ?? column?.mean ?? 0;
        instance[input.name] = input.type === 'integer' ? Math.round(typical) : Math.round(typical * 100) / 100;
        break;
      }
      case 'boolean':
        instance[input.name] = column?.topValues?.[0]?.value === 'true';
        break;
      case 'datetime':
        instance[input.name] = new Date().toISOString();
        break;
      case 'categorical':
      case 'string':
        instance[input.name] = column?.topValues?.[0]?.value ?? input.domain?.[0] ?? '';
        break;
    }
  }
  return instance;
}

/** A shell command that posts `instance` to the endpoint; single quotes in values are escaped. */
export function curlCommand(origin: string, endpoint: string, instance: Instance): string {
  const body = JSON.stringify({ instances: [instance] }).replaceAll("'", "'\\''");
  return [
    `curl -s -X POST ${origin}/v1/endpoints/${encodeURIComponent(endpoint)}/predict \\`,
    `  -H 'content-type: application/json' \\`,
    `  -d '${body}'`,
  ].join('\n');
}
