import type { ColumnSchema, DataProfile, DataSchema } from '../core/index.js';

/**
 * A schema read off a profile. Types are the profile's (integer/float/boolean/datetime from the
 * stored type; categorical vs string by `isCategorical`); a column is nullable when the profiled
 * data had missing values; categoricals get their observed values, sorted, as the domain;
 * numerics get their observed min/max as the range. The result is a starting point to edit.
 */
export function inferSchema(profile: DataProfile): DataSchema {
  return {
    columns: profile.columns.map((column): ColumnSchema => {
      const base = { name: column.name, type: column.type, nullable: column.missing > 0 };
      if (column.type === 'categorical') {
        return { ...base, domain: (column.topValues ?? []).map((v) => v.value).sort() };
      }
      if ((column.type === 'integer' || column.type === 'float') && column.min !== undefined) {
        return { ...base, min: column.min, max: column.max };
      }
      return base;
    }),
  };
}
