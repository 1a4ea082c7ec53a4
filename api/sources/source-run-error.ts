// How a run fails, in the terms of the source state contract (docs/sumo-collector-api.md §5.3):
// ThirdPartyConfig (credentials or configuration; not retried until the source is updated or
// restarted), ThirdPartyGeneric (the vendor API misbehaved; retried), FirstPartyGeneric (our fault).
import type { SourceErrorType } from '../../schemas/source.js'

export class SourceRunError extends Error {
  constructor(
    readonly errorType: SourceErrorType,
    /** Short machine-readable code, e.g. `http.401`, `sha256.mismatch`. */
    readonly errorCode: string,
    message: string,
  ) {
    super(message)
    this.name = 'SourceRunError'
  }
}
