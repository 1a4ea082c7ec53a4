// Config of the `file` destination: NDJSON files in a local directory, rotated by size and age
// (docs/destinations.md).
import { Type, type Static } from '@sinclair/typebox'

export const FileConfig = Type.Object(
  {
    directory: Type.String({
      minLength: 2,
      maxLength: 1024,
      pattern: '^/[^\\x00]*$',
      'x-error-message': 'must be an absolute path',
      description: 'Where the files go (created 0700 if missing)',
    }),
    maxFileBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 1024 ** 4, default: 100 * 1024 * 1024, description: 'A file is closed and a new one started past this size' })),
    maxFileAgeSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 86400, default: 300, description: 'A file is closed this long after its first event' })),
  },
  { additionalProperties: false, $id: 'FileConfig', title: 'file config' },
)
export type FileConfig = Static<typeof FileConfig>
