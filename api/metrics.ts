// Prometheus metrics of this process (served at /metrics). Counters count what this replica did
// since it started; per-source gauges (state, lag, quarantine) are read from the database at
// scrape time, so every replica reports the same values for them.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export class RuntimeMetrics {
  readonly registry = new Registry()

  readonly eventsStored = new Counter({
    name: 'openc2c_events_stored_total',
    help: 'Events stored, per source and stream',
    labelNames: ['source_id', 'stream'] as const,
    registers: [this.registry],
  })
  readonly duplicatesSkipped = new Counter({
    name: 'openc2c_duplicates_skipped_total',
    help: 'Events skipped because their event_id was already stored for the source',
    labelNames: ['source_id', 'stream'] as const,
    registers: [this.registry],
  })
  readonly recordsQuarantined = new Counter({
    name: 'openc2c_records_quarantined_total',
    help: 'Malformed records quarantined, per source and stream',
    labelNames: ['source_id', 'stream'] as const,
    registers: [this.registry],
  })
  readonly runs = new Counter({
    name: 'openc2c_runs_total',
    help: 'Source runs by outcome (succeeded, failed, lease_lost, stopped)',
    labelNames: ['source_id', 'outcome'] as const,
    registers: [this.registry],
  })
  readonly runDuration = new Histogram({
    name: 'openc2c_run_duration_seconds',
    help: 'Wall time of source runs',
    labelNames: ['source_id', 'outcome'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  })
  readonly upstreamResponses = new Counter({
    name: 'openc2c_upstream_responses_total',
    help: 'Responses from upstream APIs by source type, route and status code ("error" for no response)',
    labelNames: ['source_type', 'route', 'status'] as const,
    registers: [this.registry],
  })
  readonly lag = new Gauge({
    name: 'openc2c_source_lag_seconds',
    help: 'Now minus the timestamp of the newest stored event, per source',
    labelNames: ['source_id', 'source'] as const,
    registers: [this.registry],
  })
  readonly state = new Gauge({
    name: 'openc2c_source_state',
    help: 'Source state: 1 for the current state of each source',
    labelNames: ['source_id', 'source', 'state', 'error_type'] as const,
    registers: [this.registry],
  })
  readonly quarantinedRecords = new Gauge({
    name: 'openc2c_source_quarantined_records',
    help: 'Quarantined records stored for the source',
    labelNames: ['source_id', 'source'] as const,
    registers: [this.registry],
  })

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'openc2c_' })
  }
}
