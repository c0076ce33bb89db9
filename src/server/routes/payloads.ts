/**
 * Small helpers the protocol conversions (KServe v2, MLflow) share. Bodies come straight from
 * clients, so nothing here recurses into a value or trusts its keys.
 */

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A short description of a value for an error message: primitives as JSON (long strings cut),
 * containers by kind only, so a huge or deeply nested value never ends up in a message.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  return Array.isArray(value) ? 'an array' : `an ${typeof value}`;
}

/**
 * An empty row for fields named by a client. It has no prototype, so a field called
 * `__proto__` or `constructor` is just a field: it can neither change the row's prototype nor
 * shadow a method, and `Object.hasOwn` (how validation reads rows) works as on any row.
 */
export function newRow(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}
