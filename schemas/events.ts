// The runtime's read API (extensions documented in the OpenAPI): stored events, runs, quarantine.
import { Type } from '@sinclair/typebox'
import { Limit } from './paging.js'

export const EventPageQuery = Type.Object({
  limit: Type.Optional(Limit(1000, 100)),
  after: Type.Optional(Type.String({ description: 'The `next` value of the previous page' })),
})

export const StoredEvent = Type.Object({
  id: Type.String({ description: 'The upstream event_id' }),
  type: Type.String({ description: 'Upstream event type, e.g. CONVERSATION_MESSAGE' }),
  timestamp: Type.String({ description: 'The event time (UTC, microseconds); the arrival time when the event has none' }),
  receivedAt: Type.String(),
  metadata: Type.Object(
    { _source: Type.String(), _sourceCategory: Type.Optional(Type.String()), _collector: Type.String() },
    { additionalProperties: true, description: '_source, _sourceCategory, _collector and the source fields at collection time' },
  ),
  event: Type.Object({}, { additionalProperties: true, description: 'The upstream record, unchanged' }),
})

export const EventPage = Type.Object({
  events: Type.Array(StoredEvent),
  next: Type.Union([Type.String(), Type.Null()]),
})

export const Run = Type.Object({
  id: Type.Integer(),
  status: Type.String({ description: 'running, succeeded, failed or interrupted (its worker stopped mid-run)' }),
  startedAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  origins: Type.Integer({ description: 'Origins the run finished: for ChatGPT Compliance, log files' }),
  eventsStored: Type.Integer(),
  duplicatesSkipped: Type.Integer(),
  quarantined: Type.Integer(),
  errors: Type.Array(Type.Object({ at: Type.String(), type: Type.String(), message: Type.String() })),
})
export const RunList = Type.Object({ runs: Type.Array(Run) })

export const QuarantinedRecord = Type.Object({
  stream: Type.String({ description: 'The stream the record was read from: for ChatGPT Compliance, the upstream event type' }),
  origin: Type.String({ description: 'Where it came from: for ChatGPT Compliance, the log file id' }),
  position: Type.String({ description: 'Where it sits in its origin: for ChatGPT Compliance "line 12", or "line 12, object 2" when a line holds several concatenated objects' }),
  reason: Type.String(),
  raw: Type.String({ description: 'The record as received (at most its first MiB); a NUL character, which the database cannot store, reads as the six characters \\u0000' }),
  rawBytes: Type.Integer(),
  quarantinedAt: Type.String(),
})
export const QuarantineList = Type.Object({ records: Type.Array(QuarantinedRecord) })
