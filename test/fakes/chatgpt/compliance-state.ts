// The state both listeners share: who may call, what is published, which faults are armed.

import type { ComplianceEventType } from './event-types.js'
import type { FaultSwitches } from './fault-switches.js'
import type { LogFileCatalog } from './log-file-catalog.js'
import type { RequestLog } from './request-log.js'
import type { SignedUrlSigner } from './signed-urls.js'
import type { TokenBucketLimiter } from './token-bucket.js'
import { MICROS_PER_DAY, msToMicros, type EpochMicros } from './timestamps.js'

export interface KeyGrant {
  /** A revoked key answers 401 exactly like an unknown one. */
  revoked: boolean
  /** Event types this key may read; any other type answers 403. */
  scopes: Set<ComplianceEventType>
}

export interface ComplianceState {
  workspaceId: string
  organizationId: string
  keys: Map<string, KeyGrant>
  catalog: LogFileCatalog
  faults: FaultSwitches
  limiter: TokenBucketLimiter
  signer: SignedUrlSigner
  signedUrlTtlMs: number
  retentionDays: number
  /** Origin of the signed-storage listener, e.g. `http://127.0.0.1:40123`. */
  signedOrigin: string
  nowMs: () => number
  log: RequestLog
}

/** Files whose end_time is before this instant are past retention: unlisted, undownloadable, not counted. */
export function retainedFromMicros(state: Pick<ComplianceState, 'nowMs' | 'retentionDays'>): EpochMicros {
  return msToMicros(state.nowMs()) - BigInt(Math.round(state.retentionDays * Number(MICROS_PER_DAY)))
}
