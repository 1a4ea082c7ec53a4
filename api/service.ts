// Wires the service together. main.ts runs it; tests build it in-process with their own config.
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { prepareCredentials, prepareSecretBox } from './bootstrap.js'
import { type AppConfig, loadConfig } from './config.js'
import { buildApp } from './http/app.js'
import { FailedAuthLimiter } from './http/plugins/auth.js'
import type { AppContext } from './http/context.js'
import { createLogger } from './logger.js'
import { RuntimeMetrics } from './metrics.js'
import { RetentionPruner } from './scheduler/retention.js'
import { Scheduler } from './scheduler/scheduler.js'
import { type DeliveryDeps, runDeliverySession } from './scheduler/delivery-session.js'
import { executeRun, type RunDeps } from './scheduler/source-run.js'
import { builtInSourceTypes, SourceTypes } from './sources/registry.js'
import type { RuntimeSettings, SourceTypeDefinition } from './sources/source-type.js'
import { CollectorsRepository } from './store/collectors-repository.js'
import { DeadLettersRepository } from './store/dead-letters-repository.js'
import { DeliveryRepository } from './store/delivery-repository.js'
import { DestinationsRepository } from './store/destinations-repository.js'
import { prepareDataDir, PRIVATE_DIR_MODE } from './store/data-dir.js'
import { type Database, openDatabase } from './store/database.js'
import { EventsRepository } from './store/events-repository.js'
import { IngestRepository } from './store/ingest-repository.js'
import { LeasesRepository } from './store/leases-repository.js'
import { migrateToLatest } from './store/migrator.js'
import type { SecretBox } from './store/secrets.js'
import { SourcesRepository } from './store/sources-repository.js'
import { SourceCache } from './store/source-cache.js'

/** Fed by the triggers of migration 0003. */
export const SOURCE_CHANGES_CHANNEL = 'openc2c_sources'

export const VERSION = '0.1.0'

/** How long a SIGTERM/SIGINT waits for a clean stop before the process exits regardless. */
export const SHUTDOWN_DEADLINE_MS = 15_000

export interface Service {
  config: AppConfig
  logger: Logger
  database: Database
  app: FastifyInstance
  /** Undefined on an API-only replica (OPENC2C_SCHEDULER=off). */
  scheduler: Scheduler | undefined
  /** Delivery to destinations; beside the scheduler (undefined when it is off). */
  deliveries: Scheduler | undefined
  /** Retention pruning; runs beside the scheduler (undefined when it is off). */
  retention: RetentionPruner | undefined
  /** Listens on config.host:config.port, then starts the scheduler; resolves with the address. */
  start(): Promise<string>
  /** Stops the runtime, the HTTP server and the change feed; closes the database if it opened it. */
  stop(): Promise<void>
}

export interface BuildServiceOptions {
  print?: (text: string) => void
  logger?: Logger
  /** An already open database (tests); otherwise opened from the config. Its opener closes it. */
  database?: Database
  /**
   * The source types this service runs; the built-in ones by default. The config must have read
   * their settings (loadConfig with the same list).
   */
  sourceTypes?: readonly SourceTypeDefinition[]
}

/**
 * The repositories and services route handlers use. `sourceTypes` defaults to the built-in types with
 * their default settings (an HTTP-only app in tests).
 */
export function createAppContext(database: Database, secretBox: SecretBox, metrics = new RuntimeMetrics(), sourceTypes?: SourceTypes): AppContext {
  const leases = new LeasesRepository(database.db)
  const sources = new SourcesRepository(database.db, leases)
  const destinations = new DestinationsRepository(database.db)
  return {
    sourceTypes: sourceTypes ?? new SourceTypes(builtInSourceTypes, loadConfig({}).sourceTypeSettings, metrics.registry),
    database,
    collectors: new CollectorsRepository(database.db),
    sources,
    sourceReads: { peek: () => undefined, get: (collectorId, sourceId) => sources.get(collectorId, sourceId), invalidate: () => {}, clear: () => {} },
    leases,
    events: new EventsRepository(database.db),
    secretBox,
    metrics,
    destinations,
    retentionDays: 30,
    delivery: new DeliveryRepository(database.db, destinations.leases),
    deadLetters: new DeadLettersRepository(database.db, destinations.leases),
    wakeScheduler: () => {},
    wakeDeliveries: () => {},
  }
}

export async function buildService(config: AppConfig, options: BuildServiceOptions = {}): Promise<Service> {
  const logger = options.logger ?? createLogger(config)
  await prepareDataDir(config.dataDir, logger)
  const database =
    options.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'pgdata') }))
  try {
    const applied = await migrateToLatest(database.db)
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied migrations')
    const secretBox = await prepareSecretBox(config, database, logger)
    await prepareCredentials(config, database, options.print ?? ((text) => process.stdout.write(`${text}\n`)))

    const metrics = new RuntimeMetrics()
    const sourceTypes = new SourceTypes(options.sourceTypes ?? builtInSourceTypes, config.sourceTypeSettings, metrics.registry)
    const ctx = createAppContext(database, secretBox, metrics, sourceTypes)
    ctx.retentionDays = config.eventRetentionDays
    // Listen before anything else runs: on PGlite the LISTEN must not land inside a transaction.
    const feed = await database.changeFeed(SOURCE_CHANGES_CHANNEL, logger)
    ctx.sourceReads = new SourceCache(ctx.sources, feed)
    const spoolDir = config.schedulerEnabled ? await prepareSpool(config.dataDir) : undefined
    const scheduler = spoolDir ? createScheduler(config, ctx, logger, spoolDir) : undefined
    if (scheduler) ctx.wakeScheduler = () => scheduler.wake()
    const deliveries = config.schedulerEnabled ? createDeliveries(config, ctx, logger) : undefined
    if (deliveries) ctx.wakeDeliveries = () => deliveries.wake()
    const retention = scheduler
      ? new RetentionPruner({ events: ctx.events, logger: logger.child({ component: 'retention' }), retentionDays: config.eventRetentionDays, everyMs: 60 * 60_000 })
      : undefined
    const app = await buildApp({
      ctx,
      logger,
      version: VERSION,
      authLimiter: new FailedAuthLimiter(config.authFailuresPerMinute),
    })

    return {
      config,
      logger,
      database,
      app,
      scheduler,
      deliveries,
      retention,
      async start() {
        const address = await app.listen({ port: config.port, host: config.host })
        logger.info({ address, database: database.kind, scheduler: scheduler ? 'on' : 'off' }, 'openc2c listening')
        scheduler?.start()
        deliveries?.start()
        retention?.start()
        return address
      },
      async stop() {
        await Promise.all([scheduler?.stop(), deliveries?.stop()])
        await retention?.stop()
        if (spoolDir) await fs.rm(spoolDir, { recursive: true, force: true }).catch(() => {})
        await app.close()
        await feed.close()
        if (!options.database) await database.close()
      },
    }
  } catch (err) {
    if (!options.database) await database.close().catch(() => {})
    throw err
  }
}

/**
 * Files left by a process that died mid-download are useless (every run downloads afresh). A spool
 * folder untouched for an hour belongs to no live process: an active download rewrites its file
 * continuously, and each new file touches the folder.
 */
async function removeStaleSpools(root: string): Promise<void> {
  const cutoff = Date.now() - 60 * 60_000
  let entries: string[]
  try {
    entries = await fs.readdir(root)
  } catch {
    return
  }
  for (const name of entries) {
    const dir = path.join(root, name)
    let newest = 0
    for (const file of [dir, ...(await fs.readdir(dir).catch(() => [] as string[])).map((f) => path.join(dir, f))]) {
      const stat = await fs.stat(file).catch(() => undefined)
      newest = Math.max(newest, stat?.mtimeMs ?? 0)
    }
    if (newest < cutoff) await fs.rm(dir, { recursive: true, force: true })
  }
}

/** This process's download folder. One per process: replicas may share a data directory. */
async function prepareSpool(dataDir: string): Promise<string> {
  const root = path.join(dataDir, 'spool')
  await removeStaleSpools(root)
  const dir = path.join(root, `${process.pid}-${crypto.randomBytes(4).toString('hex')}`)
  await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  return dir
}

function createScheduler(config: AppConfig, ctx: AppContext, logger: Logger, spoolDir: string): Scheduler {
  const tuning = config.runtime
  const settings: RuntimeSettings = {
    scratchRoot: spoolDir,
    retry: tuning.remoteRetry,
    timeouts: tuning.remoteTimeouts,
    batch: tuning.batch,
  }
  const deps: RunDeps = {
    leases: ctx.leases,
    ingest: new IngestRepository(ctx.database.db, ctx.leases),
    sources: ctx.sources,
    collectors: ctx.collectors,
    secretBox: ctx.secretBox,
    sourceTypes: ctx.sourceTypes,
    settings,
    metrics: ctx.metrics,
    logger: logger.child({ component: 'scheduler' }),
    leaseMs: tuning.leaseSeconds * 1000,
    failureBackoff: { baseMs: tuning.runRetryBaseMs, capMs: Math.max(tuning.runRetryBaseMs, 30 * 60_000) },
  }
  return new Scheduler({
    name: 'source runs',
    leases: deps.leases,
    leaseMs: deps.leaseMs,
    logger: deps.logger,
    pollMs: tuning.schedulerPollMs,
    maxConcurrent: tuning.maxConcurrentRuns,
    execute: (claim, stopSignal) => executeRun(claim, deps, stopSignal),
  })
}

function createDeliveries(config: AppConfig, ctx: AppContext, logger: Logger): Scheduler {
  const tuning = config.runtime
  const deps: DeliveryDeps = {
    destinations: ctx.destinations,
    delivery: ctx.delivery,
    deadLetters: ctx.deadLetters,
    leases: ctx.destinations.leases,
    secretBox: ctx.secretBox,
    sourceTypes: ctx.sourceTypes,
    metrics: ctx.metrics,
    logger: logger.child({ component: 'delivery' }),
    leaseMs: tuning.leaseSeconds * 1000,
    tuning: tuning.delivery,
    othersWaiting: async () => deliveries.runningIds.length >= tuning.maxConcurrentDeliveries && (await ctx.destinations.anyWaiting(tuning.delivery.pollMs)),
  }
  const deliveries: Scheduler = new Scheduler({
    name: 'deliveries',
    leases: deps.leases,
    leaseMs: deps.leaseMs,
    logger: deps.logger,
    pollMs: tuning.schedulerPollMs,
    maxConcurrent: tuning.maxConcurrentDeliveries,
    execute: (claim, stopSignal) => runDeliverySession(claim, deps, stopSignal),
  })
  return deliveries
}

/**
 * Stops the service on a signal and exits: 0 after a clean stop, 1 if stopping failed or took
 * longer than the deadline. A run stuck where its abort signal cannot reach (a hung database call,
 * say) must not keep the process alive forever; what it leaves behind is what a kill leaves: its
 * lease expires and another worker resumes from the last committed batch.
 */
export function shutdown(
  service: Pick<Service, 'stop' | 'logger'>,
  signal: string,
  options: { deadlineMs?: number; exit?: (code: number) => void } = {},
): Promise<void> {
  const deadlineMs = options.deadlineMs ?? SHUTDOWN_DEADLINE_MS
  const exit = options.exit ?? ((code: number) => process.exit(code))
  service.logger.info({ signal, deadlineMs }, 'stopping')
  return new Promise((resolve) => {
    let exited = false
    const finish = (code: number) => {
      if (exited) return
      exited = true
      clearTimeout(deadline)
      exit(code)
      resolve()
    }
    const deadline = setTimeout(() => {
      service.logger.error({ signal, deadlineMs }, 'not stopped within the shutdown deadline; exiting anyway (unfinished runs resume elsewhere once their leases expire)')
      finish(1)
    }, deadlineMs)
    service.stop().then(
      () => finish(0),
      (err) => {
        service.logger.error({ err }, 'error while stopping')
        finish(1)
      },
    )
  })
}
