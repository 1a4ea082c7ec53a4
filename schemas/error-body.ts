// The error body of the Collector Management API (docs/sumo-collector-api.md §7): a flat object with a
// dotted lower-case code and a random request id, plus `errors[]` naming each invalid field.
import { Type, type Static } from '@sinclair/typebox'

export const ValidationIssue = Type.Object(
  {
    path: Type.String({ description: 'JSONPath of the offending value, e.g. `$.source.config.apiKey`' }),
    message: Type.String({ description: 'Why the value was rejected' }),
  },
  { $id: 'ValidationIssue' },
)
export type ValidationIssue = Static<typeof ValidationIssue>

export const ErrorBody = Type.Object(
  {
    status: Type.Integer({ description: 'HTTP status, repeated in the body' }),
    id: Type.String({ description: 'Request id: three groups of five upper-case letters or digits', examples: ['L4JHM-YU4UH-799F7'] }),
    code: Type.String({ description: 'Dotted error code', examples: ['collectors.collector.invalid'] }),
    message: Type.String(),
    errors: Type.Optional(Type.Array(Type.Ref(ValidationIssue))),
  },
  { $id: 'ErrorBody' },
)
export type ErrorBody = Static<typeof ErrorBody>
