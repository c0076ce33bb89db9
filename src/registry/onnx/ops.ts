import { KeelError } from '../../core/index.js';
import { ELEMENT_TYPE } from './onnx-proto.js';
import type { GraphBuilder } from './graph-builder.js';

/**
 * Small compositions of standard operators the exporters share, all on tensor(double) unless
 * named otherwise. Missing values are NaN, as in Keel's Tables.
 */

export const castTo = (g: GraphBuilder, x: string, type: 'double' | 'float' | 'int64' | 'string'): string =>
  g.op('Cast', [x], { to: ELEMENT_TYPE[type] });

export const isNaN = (g: GraphBuilder, x: string): string => g.op('IsNaN', [x]);

/** `cond ? a : b`, elementwise with broadcasting. */
export const where = (g: GraphBuilder, cond: string, a: string, b: string): string => g.op('Where', [cond, a, b]);

export const nan = (g: GraphBuilder): string => g.scalar(NaN, 'nan');

/** A 0/1 double from a boolean tensor. */
export const indicator = (g: GraphBuilder, bool: string): string => castTo(g, bool, 'double');

/** `x`, except NaN wherever `missingIf` holds. */
export const nanWhere = (g: GraphBuilder, missingIf: string, x: string): string => where(g, missingIf, nan(g), x);

/** Keel's `finite()`: ±∞ becomes missing, as expressions and transforms never hold infinities. */
export const finite = (g: GraphBuilder, x: string): string => nanWhere(g, g.op('IsInf', [x]), x);

/** Either operand missing. */
export const eitherNaN = (g: GraphBuilder, a: string, b: string): string => g.op('Or', [isNaN(g, a), isNaN(g, b)]);

/** Columns `indices` of a [N, k] tensor, in that order. */
export const columns = (g: GraphBuilder, x: string, indices: readonly number[]): string =>
  g.op('Gather', [x, g.int64s(indices)], { axis: 1 });

/** Concatenation along `axis`; one input is returned as is. */
export const concat = (g: GraphBuilder, parts: readonly string[], axis: number): string =>
  parts.length === 1 ? parts[0] : g.op('Concat', parts, { axis });

/** The error for a model part ONNX cannot express; `part` names it as the user wrote it. */
export function notExportable(part: string, reason: string, field?: string): KeelError {
  return new KeelError('not_exportable', `${part} cannot be exported to ONNX: ${reason}`, field ? { field } : {});
}
