// Executes one claimed run: keeps the lease alive, moves the source state, calls the source type's
// run, and records the outcome. A lost lease aborts the run, and nothing after that point commits.
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from 'pino'
import type { SourceState } from '../../schemas/source.js'
import type { RuntimeMetrics } from '../metrics.js'
import { backoffMs } from '../shared/backoff.js'
import { sourceEventMetadata } from '../sources/event-metadata.js'
import type { SourceTypes } from '../sources/registry.js'
import { SourceRunError } from '../sources/source-run-error.js'
import type { RuntimeSettings, SourceRunContext } from '../sources/source-type.js'
import type { CollectorsRepository } from '../store/collectors-repository.js'
import { PRIVATE_DIR_MODE } from '../store/data-dir.js'
import type { IngestRepository } from '../store/ingest-repository.js'
import { type Claim, LeaseLostError, type LeasesRepository } from '../store/leases-repository.js'
import type { SecretBox } from '../store/secrets.js'
import type { SourcesRepository } from '../store/sources-repository.js'
import type { RunError } from '../store/tables.js'

export interface RunDeps {
  leases: LeasesRepository
  ingest: IngestRepository
  sources: SourcesRepository
  collectors: CollectorsRepository
  secretBox: SecretBox
  sourceTypes: SourceTypes
  settings: RuntimeSettings
  metrics: RuntimeMetrics
  logger: Logger
  leaseMs: number
  /** Failed runs are retried after a capped exponential backoff (never later than the interval). */
  failureBackoff: { baseMs: number; capMs: number }
}

const MAX_RUN_ERRORS = 50
const HOUR_MS = 60 * 60 * 1000

export type RunOutcome = 'succeeded' | 'failed' | 'lease_lost' | 'stopped' | 'gone'

/**
 * @param stopSignal aborted when the service stops; the run ends and its source is due again at once.
 */
export async function executeRun(claim: Claim, deps: RunDeps, stopSignal: AbortSignal): Promise<RunOutcome> {
  const { leases, ingest, logger: baseLogger, metrics } = deps
  const logger = baseLogger.child({ sourceId: claim.sourceId, generation: claim.generation })
  const started = Date.now()
  const controller = new AbortController()
  const onStop = () => controller.abort(new Error('the service is stopping'))
  stopSignal.addEventListener('abort', onStop, { once: true })
  // A claim that lands after stop() was called (it was in flight) must not start upstream work:
  // an already aborted signal never fires 'abort' again.
  if (stopSignal.aborted) onStop()
  // Renew at a third of the lease, so two renewals can fail before another replica may claim it.
  const renewal = setInterval(() => {
    leases.renew(claim, deps.leaseMs).then(
      (held) => {
        if (!held) controller.abort(new LeaseLostError(claim.sourceId))
      },
      (err) => logger.warn({ err }, 'lease renewal failed; retrying'),
    )
  }, Math.max(100, Math.floor(deps.leaseMs / 3)))

  const errors: RunError[] = []
  const recordError = (error: Omit<RunError, 'at'>) => {
    if (errors.length < MAX_RUN_ERRORS) errors.push({ at: new Date().toISOString(), ...error })
  }
  let runId: number | undefined
  let configVersion: number | undefined
  let outcome: RunOutcome = 'failed'
  let intervalMs = HOUR_MS
  try {
    controller.signal.throwIfAborted()
    const source = await deps.sources.getById(claim.sourceId)
    const collector = source && (await deps.collectors.get(source.collectorId))
    if (!source || !collector) {
      // Deleted: its lease row went with it, so this releases nothing unless it is still there.
      await leases.release(claim, { nextRunAt: new Date(Date.now() + HOUR_MS), blocked: false, consecutiveFailures: claim.consecutiveFailures })
      outcome = 'gone'
      return outcome
    }
    // Every state this run sets describes this config: recorded with it (one row read), it guards
    // those writes against a PUT that lands mid-run (SourcesRepository.setRunState).
    configVersion = source.version
    const type = deps.sourceTypes.find(source.schemaType)
    const runner = deps.sourceTypes.runner(source.schemaType)
    if (!type || !runner) {
      // Stored by a newer (or older) version of openc2c: not retried as a block, since a replica
      // that knows the type may share the database and should get its turn.
      throw new SourceRunError('FirstPartyGeneric', 'source.type.unknown', `this replica cannot run sources of type ${JSON.stringify(source.schemaType)}`)
    }
    intervalMs = type.pollingIntervalHours(source.config) * HOUR_MS
    const thisRun = await ingest.startRun(claim)
    runId = thisRun
    if (claim.recovered) logger.info('resuming a source whose previous worker stopped mid-run')
    const version = configVersion
    let current = source.state.state
    if (current !== 'Collecting') {
      await deps.sources.setRunState(claim, version, { state: 'Started' })
      current = 'Started'
    }
    controller.signal.throwIfAborted()
    const metadataId = await ingest.metadataId(source.id, sourceEventMetadata(source.config, collector.name))
    const sourceLabel = String(source.id)
    const ctx: SourceRunContext = {
      source,
      secrets: source.secrets ? deps.secretBox.openJson(source.secrets) : {},
      runId: thisRun,
      signal: controller.signal,
      settings: deps.settings,
      logger,
      scratchDir: async () => {
        const dir = path.join(deps.settings.scratchRoot, sourceLabel)
        await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
        return dir
      },
      loadPosition: (stream) => ingest.loadPosition(claim.sourceId, stream),
      commit: async (batch) => {
        const result = await ingest.commit(claim, thisRun, { ...batch, metadataId })
        const labels = { source_id: sourceLabel, stream: batch.stream }
        metrics.eventsStored.inc(labels, result.stored)
        metrics.duplicatesSkipped.inc(labels, result.duplicates)
        metrics.recordsQuarantined.inc(labels, result.quarantined)
        return result
      },
      savePosition: (stream, position) => ingest.savePosition(claim, stream, position),
      upstreamResponse: (route, status) => metrics.upstreamResponses.inc({ source_type: type.type, route, status: String(status) }),
      advanceState: async (state) => {
        if (current === 'Collecting' || current === state) return
        await deps.sources.setRunState(claim, version, { state })
        current = state
      },
      recordError,
    }
    logger.info({ type: type.type }, 'run started')
    await runner(ctx)
    await ingest.finishRun(claim, thisRun, 'succeeded', errors)
    const jitterMs = Math.random() * Math.min(0.05 * intervalMs, 5 * 60_000)
    // With the config version: a source updated mid-run is due at once, to run with its new config.
    await leases.release(claim, { nextRunAt: new Date(started + intervalMs + jitterMs), blocked: false, consecutiveFailures: 0, configVersion })
    outcome = 'succeeded'
  } catch (err) {
    outcome = await handleFailure(err, { claim, deps, controller, runId, configVersion, errors, recordError, intervalMs, logger })
  } finally {
    clearInterval(renewal)
    stopSignal.removeEventListener('abort', onStop)
    metrics.runs.inc({ source_id: String(claim.sourceId), outcome })
    metrics.runDuration.observe({ source_id: String(claim.sourceId), outcome }, (Date.now() - started) / 1000)
    baseLogger.info({ sourceId: claim.sourceId, outcome, ms: Date.now() - started }, 'run ended')
  }
  return outcome
}

interface FailureContext {
  claim: Claim
  deps: RunDeps
  controller: AbortController
  runId: number | undefined
  /** The config version the run read; undefined when it failed before reading its source. */
  configVersion: number | undefined
  errors: RunError[]
  recordError: (error: Omit<RunError, 'at'>) => void
  intervalMs: number
  logger: Logger
}

async function handleFailure(err: unknown, f: FailureContext): Promise<RunOutcome> {
  const { claim, deps, controller, logger } = f
  const reason = controller.signal.aborted ? controller.signal.reason : undefined
  if (err instanceof LeaseLostError || reason instanceof LeaseLostError) {
    logger.warn('lease lost; the run stopped without committing further progress')
    return 'lease_lost'
  }
  if (reason !== undefined) {
    // Stopping: record the run as interrupted (its progress is committed up to the last batch) and
    // leave the source due now, so this or another replica resumes it promptly.
    try {
      if (f.runId !== undefined) await deps.ingest.finishRun(claim, f.runId, 'interrupted', f.errors)
      await deps.leases.release(claim, { nextRunAt: new Date(), blocked: false, consecutiveFailures: claim.consecutiveFailures })
    } catch (writeErr) {
      logger.warn({ err: writeErr }, 'could not record the interrupted run; its lease will expire')
    }
    return 'stopped'
  }
  const failure =
    err instanceof SourceRunError
      ? err
      : new SourceRunError('FirstPartyGeneric', 'internal', `internal error: ${(err as Error)?.message ?? String(err)}`)
  if (!(err instanceof SourceRunError)) logger.error({ err }, 'run failed with an internal error')
  else logger.warn({ errorType: failure.errorType, errorCode: failure.errorCode, err: failure.message }, 'run failed')
  f.recordError({ type: failure.errorType, message: failure.message })
  const state: SourceState = { state: 'Error', errorType: failure.errorType, errorCode: failure.errorCode, errorInfo: failure.message }
  const failures = claim.consecutiveFailures + 1
  try {
    // The error, the block and the backoff belong to the config the run used. If the source was
    // updated meanwhile, the new config has not been tried: its state and schedule stand (both
    // writes re-check the version under lock, so a PUT between them is seen too).
    const current = f.configVersion === undefined || (await deps.sources.setRunState(claim, f.configVersion, state))
    if (!current) logger.info('the source was updated during the failed run; its new config runs next')
    if (f.runId !== undefined) await deps.ingest.finishRun(claim, f.runId, 'failed', f.errors)
    // ThirdPartyConfig is not retried until the source is updated or restarted.
    const blocked = failure.errorType === 'ThirdPartyConfig'
    const waitMs = Math.min(f.intervalMs, backoffMs(failures, deps.failureBackoff.baseMs, deps.failureBackoff.capMs))
    await deps.leases.release(claim, { nextRunAt: new Date(Date.now() + waitMs), blocked, consecutiveFailures: failures, configVersion: f.configVersion })
  } catch (writeErr) {
    if (writeErr instanceof LeaseLostError) return 'lease_lost'
    logger.error({ err: writeErr }, 'could not record the failed run')
  }
  return 'failed'
}

export function newWorkerId(): string {
  return `${process.pid}-${crypto.randomBytes(4).toString('hex')}`
}
