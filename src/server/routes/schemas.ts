import { Type } from '@sinclair/typebox';

/** Route parameter and response schemas shared by the route files. */
export const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', maxLength: 128 });
export const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }));
export const ErrorSchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Record(Type.String(), Type.Unknown()),
  }),
});
