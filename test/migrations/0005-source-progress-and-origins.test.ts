// Migration 0005 carries a database over from the file-shaped store: a ChatGPT Compliance source
// stopped in the middle of a file at 0004 resumes after the upgrade at its next record, and the
// source ends with every event stored exactly once. Old quarantined records keep their place.
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../api/store/database.js'
import { createMigrator } from '../../api/store/migrator.js'
import { SecretBox } from '../../api/store/secrets.js'
import { type FakeCompliance, startFakeCompliance } from '../fakes/chatgpt/index.js'
import { FAST_RUNTIME_ENV } from '../helpers/collecting.js'
import { createTestDatabaseLocation, type TestDatabaseLocation, usingPostgres } from '../helpers/db.js'
import { type RunningService, startService } from '../helpers/service.js'
import { compareSets, noDifference } from '../api/runtime/exact-set.js'
import { api, getRuns, sourcePath, waitUntil } from '../api/runtime/service-api.js'

let fake: FakeCompliance | undefined
let service: RunningService | undefined
afterEach(async () => {
  await service?.destroy()
  await fake?.close()
  service = undefined
  fake = undefined
})

/** An empty database: a fresh Postgres database, or a PGlite directory the service will initialise. */
async function emptyLocation(): Promise<TestDatabaseLocation> {
  if (usingPostgres) return createTestDatabaseLocation()
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'openc2c-migration-'))
  return { pgliteDir: path.join(dir, 'pgdata'), cleanup: () => fs.rm(dir, { recursive: true, force: true }) }
}

describe('migration 0005', () => {
  it('resumes a source stopped mid-file at 0004: nothing lost, nothing stored twice', { timeout: 120_000 }, async () => {
    fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
    const files = fake.addGeneratedFiles('AUDIT_LOG', 3, 20)
    const [done, inProgress] = files as [(typeof files)[0], (typeof files)[0]]
    const doneIds = [...fake.fileEventIds(done.id)]
    const inProgressIds = [...fake.fileEventIds(inProgress.id)]
    const RECORDS_DONE = 7

    const secretKey = crypto.randomBytes(32)
    const location = await emptyLocation()
    const database = await openDatabase({ databaseUrl: location.databaseUrl, pgliteDir: location.pgliteDir })
    let sourceId: number
    let collectorId: number
    try {
      const migrator = createMigrator(database.db)
      expect((await migrator.migrateTo('0004-quarantine-parts-and-event-indexes')).error).toBeUndefined()
      // What openc2c at 0004 left behind: the first file stored and done, the second 7 records in.
      const db = database.db as any
      collectorId = Number((await db.insertInto('collectors').values({ name: 'chatgpt', time_zone: 'UTC', fields: '{}' }).returning('id').executeTakeFirstOrThrow()).id)
      const config = { name: 'chatgpt', workspaceID: fake.workspaceId, apiKey: '********', enabledEventType: ['AUDIT'] }
      sourceId = Number(
        (
          await db
            .insertInto('sources')
            .values({
              collector_id: collectorId,
              name: 'chatgpt',
              schema_type: 'ChatGPT Compliance',
              config: JSON.stringify(config),
              secrets: new SecretBox(secretKey).sealJson({ apiKey: fake.apiKey }),
              state: 'Collecting',
            })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
      )
      await sql`insert into source_leases (source_id, next_run_at) values (${sourceId}, now())`.execute(db)
      const metadata = await sql<{ id: number }>`
        insert into event_metadata (source_id, digest, metadata) values (${sourceId}, 'old', '{"_source":"chatgpt","_collector":"chatgpt"}') returning id`.execute(db)
      const metadataId = Number(metadata.rows[0]!.id)
      const stored = [...doneIds.map((id) => [id, done.id]), ...inProgressIds.slice(0, RECORDS_DONE).map((id) => [id, inProgress.id])]
      for (const [eventId, fileId] of stored) {
        await sql`
          insert into events (source_id, event_id, event_type, occurred_at, file_id, metadata_id, raw)
          values (${sourceId}, ${eventId}, 'AUDIT_LOG', now(), ${fileId}, ${metadataId}, ${JSON.stringify({ event_id: eventId })})`.execute(db)
      }
      await sql`
        insert into source_cursors (source_id, event_type, after, done_files, in_progress)
        values (${sourceId}, 'AUDIT_LOG', ${done.end_time}, ${JSON.stringify([{ id: done.id, endTime: done.end_time }])},
                ${JSON.stringify({ id: inProgress.id, endTime: inProgress.end_time, recordsDone: RECORDS_DONE })})`.execute(db)
      await sql`
        insert into quarantined_records (source_id, file_id, line_number, part, event_type, reason, raw, raw_bytes)
        values (${sourceId}, ${done.id}, 3, 0, 'AUDIT_LOG', 'not valid JSON', '{', 1),
               (${sourceId}, ${done.id}, 4, 1, 'AUDIT_LOG', 'no event_id', '{}', 2)`.execute(db)
    } finally {
      await database.close()
    }

    // The service migrates to the latest on start and collects with its scheduler.
    service = await startService({ location, env: { ...FAST_RUNTIME_ENV, OPENC2C_CHATGPT_BASE_URL: fake.baseUrl, OPENC2C_SECRET_KEY: secretKey.toString('base64') } })
    expect(service.output()).toContain('0005-source-progress-and-origins')
    await waitUntil(async () => (await getRuns(service!, collectorId, sourceId)).some((r) => r.status === 'succeeded'), 'a successful run', 60_000)

    const { events } = await api(service, 'GET', `${sourcePath(collectorId, sourceId)}/events?limit=1000`)
    const ids = events.map((e: { id: string }) => e.id)
    expect(ids.length, 'no event stored twice').toBe(new Set(ids).size)
    const expected = fake.expectedEventIds('AUDIT_LOG')
    expect(compareSets(new Set(ids), expected)).toEqual(noDifference(expected.size))
    const [run] = await getRuns(service, collectorId, sourceId)
    // It resumed at record 8 of the second file: none of the first 7 came through again.
    expect(run).toMatchObject({ status: 'succeeded', origins: 2, eventsStored: 20 - RECORDS_DONE + 20, duplicatesSkipped: 0 })
    // The first file was not downloaded again.
    expect(fake.requestsTo('signed').map((r) => r.fileId)).not.toContain(done.id)

    const { records } = await api(service, 'GET', `${sourcePath(collectorId, sourceId)}/quarantine`)
    expect(records.map((r: any) => [r.stream, r.origin, r.position, r.reason])).toEqual([
      ['AUDIT_LOG', done.id, 'line 3', 'not valid JSON'],
      ['AUDIT_LOG', done.id, 'line 4, object 2', 'no event_id'],
    ])
  })
})
