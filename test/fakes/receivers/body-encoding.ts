// Undoing Content-Encoding on a request body. Receivers take gzip and deflate (zlib-wrapped, which is
// what HTTP's "deflate" means); anything else is the caller's to refuse in its own error shape.

import { gunzipSync, inflateSync } from 'node:zlib'

export type BodyEncoding = 'identity' | 'gzip' | 'deflate'

export type DecodedBody =
  | { ok: true; encoding: BodyEncoding; bytes: Buffer }
  | { ok: false; encoding: string; reason: string }

/**
 * A decompressed body may not grow past this: far above any receiver's request limit (Sumo 1 MB,
 * Elasticsearch 100 MB), low enough that a zip bomb can't take the test process down.
 */
export const MAX_DECODED_BYTES = 256 * 1024 * 1024

export function decodeBody(raw: Buffer, contentEncoding: string | undefined, maxBytes = MAX_DECODED_BYTES): DecodedBody {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase() || 'identity'
  if (encoding === 'identity') return { ok: true, encoding, bytes: raw }
  if (encoding !== 'gzip' && encoding !== 'x-gzip' && encoding !== 'deflate') {
    return { ok: false, encoding, reason: `Content-Encoding ${encoding} is not supported` }
  }
  try {
    const bytes = encoding === 'deflate' ? inflateSync(raw, { maxOutputLength: maxBytes }) : gunzipSync(raw, { maxOutputLength: maxBytes })
    return { ok: true, encoding: encoding === 'deflate' ? 'deflate' : 'gzip', bytes }
  } catch (err) {
    const reason = err instanceof RangeError ? `decompressed body is over ${maxBytes} bytes` : `body is not valid ${encoding} data`
    return { ok: false, encoding, reason }
  }
}
