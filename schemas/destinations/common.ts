// Value shapes the destination kinds' configs share. Patterns' messages never quote the value: a
// rejected value may be a secret or hold control characters.
import { Type } from '@sinclair/typebox'

export const ReceiverUrl = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: 2048,
    pattern: '^https?://[^\\s/?#]+[^\\s]*$',
    'x-error-message': 'must be an http:// or https:// URL without spaces',
    description,
  })

/** Sent in an HTTP header, so printable ASCII only: no spaces, newlines or NULs. */
export const SecretToken = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: 4096,
    pattern: '^[\\x21-\\x7E]+$',
    'x-error-message': 'must be 1 to 4096 printable ASCII characters, without spaces or control characters',
    description: `${description}. Secret: write-only, reads back as "********"`,
  })
