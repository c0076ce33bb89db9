import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { invalidArgument } from '../../core/index.js';
import { recordFeedback, type FeedbackInput } from '../../serving/index.js';
import type { ServerDeps } from '../deps.js';
import { ErrorSchema, Name } from './schemas.js';

interface FeedbackBody {
  feedback: Array<{ id: string; label?: string | number; value?: number; at?: string }>;
  at?: string;
}

/**
 * Ground truth for logged predictions (process feedback), by prediction id: it feeds the live
 * quality of the endpoint's monitoring. All or nothing: one unknown id or a label that is not a
 * class of the model refuses the whole request with a 400 that names the item.
 */
export function registerFeedbackRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { metadata, runtime } = deps;
  const Time = Type.String({ format: 'date-time', description: 'when the outcome was known; default now' });
  app.post<{ Params: { name: string }; Body: FeedbackBody }>(
    '/v1/endpoints/:name/feedback',
    {
      schema: {
        tags: ['inference'],
        summary: 'Send the ground truth of logged predictions',
        params: Type.Object({ name: Name }),
        body: Type.Object({
          feedback: Type.Array(
            Type.Object({
              id: Type.String({ minLength: 1, description: 'the prediction id (pred_…) the endpoint answered with' }),
              label: Type.Optional(
                Type.Union([Type.String(), Type.Number()], { description: 'classifiers: the true class' }),
              ),
              value: Type.Optional(Type.Number({ description: 'regressors: the true value' })),
              at: Type.Optional(Time),
            }),
          ),
          at: Type.Optional(Time),
        }),
        response: { 400: ErrorSchema, 404: ErrorSchema, 413: ErrorSchema },
      },
    },
    async (request) => {
      const items = request.body.feedback.map((item, i): FeedbackInput => {
        if (item.value !== undefined && !Number.isFinite(item.value)) {
          throw invalidArgument(`feedback[${i}].value must be a finite number`, { field: `feedback[${i}].value` });
        }
        if (item.label !== undefined && item.value !== undefined) {
          throw invalidArgument(`feedback[${i}] has both "label" and "value": send the one the model predicts`, {
            field: `feedback[${i}]`,
          });
        }
        return {
          id: item.id,
          ...(item.label !== undefined ? { label: String(item.label) } : {}),
          ...(item.value !== undefined ? { value: item.value } : {}),
          ...((item.at ?? request.body.at) !== undefined ? { at: item.at ?? request.body.at } : {}),
        };
      });
      return recordFeedback({ metadata, log: runtime.log }, request.params.name, items);
    },
  );
}
