import type { RunPage, RunStore } from '../store/index.js';
import { parseRunFilter, parseRunOrder } from './filter.js';

/** A run search as users write it: the filter and the sort keys as text. */
export interface RunSearchRequest {
  readonly experiment?: string;
  /** e.g. `metrics.roc_auc > 0.8 and params.algorithm = 'random_forest'` (see `parseRunFilter`). */
  readonly filter?: string;
  /** e.g. `metrics.roc_auc DESC, attributes.start_time`; newest first when omitted. */
  readonly orderBy?: string | readonly string[];
  /** Page size; 100 when omitted. */
  readonly limit?: number;
  /** `nextPageToken` of the previous page. */
  readonly pageToken?: string;
}

/**
 * Searches runs: parses the filter and the sort keys (failing with invalid_argument naming the
 * column of a mistake) and lets the store answer from its indexes.
 *
 *   const { runs, nextPageToken } = await searchRuns(workspace.metadata, {
 *     filter: "metrics.roc_auc > 0.8 and params.algorithm = 'random_forest'",
 *     orderBy: 'metrics.roc_auc DESC',
 *     limit: 10,
 *   });
 */
export async function searchRuns(
  store: Pick<RunStore, 'searchRuns'>,
  request: RunSearchRequest = {},
): Promise<RunPage> {
  const filter = request.filter === undefined ? undefined : parseRunFilter(request.filter);
  const orderBy = request.orderBy === undefined ? undefined : parseRunOrder(request.orderBy);
  return store.searchRuns({
    ...(request.experiment !== undefined ? { experiment: request.experiment } : {}),
    ...(filter ? { filter } : {}),
    ...(orderBy && orderBy.length > 0 ? { orderBy } : {}),
    ...(request.limit !== undefined ? { limit: request.limit } : {}),
    ...(request.pageToken !== undefined ? { pageToken: request.pageToken } : {}),
  });
}
