// Retention: what goes is what we stored longer ago than the retention period, whatever the event's
// own timestamp; pruned quarantined records leave the source's count right.
import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { EventsRepository } from '../../../api/store/events-repository.js'
import { useStore } from '../../helpers/store.js'

const store = useStore('retention')
let sourceId: number
beforeAll(async () => {
  sourceId = (await store.newSource()).id
})

describe('EventsRepository.prune', () => {
  it('prunes by the time an event was stored, not its timestamp, and keeps the quarantine count right', async () => {
    const lease = (await store.leases.claim('w', 60_000))!
    expect(lease.sourceId).toBe(sourceId)
    const runId = await store.ingest.startRun(lease)
    const event = (id: string, occurredAt: string) => ({ eventId: id, type: 'AUDIT_LOG', occurredAt, raw: JSON.stringify({ event_id: id }) })
    await store.ingest.commit(lease, runId, {
      stream: 'AUDIT_LOG',
      origin: 'eclf_1',
      metadataId: await store.ingest.metadataId(sourceId, { _source: 's' }),
      // A late event: its timestamp is far older than the retention period, but we just stored it.
      events: [event('late', '2020-01-01T00:00:00Z'), event('recent', new Date().toISOString()), event('stored-long-ago', new Date().toISOString())],
      quarantined: [
        { position: 'line 4', reason: 'not JSON', raw: 'x', rawBytes: 1 },
        { position: 'line 5', reason: 'not JSON', raw: 'y', rawBytes: 1 },
        { position: 'line 6', reason: 'not JSON', raw: 'z', rawBytes: 1 },
      ],
      position: { after: 'x' },
      originsCompleted: 1,
      newestEventAt: new Date().toISOString(),
    })
    const db = store.t.database.db
    await sql`update events set received_at = now() - interval '8 days' where event_id = 'stored-long-ago'`.execute(db)
    await sql`update quarantined_records set created_at = now() - interval '8 days' where position in ('line 4', 'line 5')`.execute(db)
    expect((await store.leases.view(sourceId))!.quarantinedRecords).toBe(3)

    expect(await store.events.prune(7)).toMatchObject({ events: 1, quarantined: 2 })
    const left = await db.selectFrom('events').select('event_id').where('source_id', '=', sourceId).orderBy('event_id').execute()
    expect(left.map((r) => r.event_id)).toEqual(['late', 'recent'])
    expect((await store.leases.view(sourceId))!.quarantinedRecords).toBe(1)
    const quarantinedLeft = await db.selectFrom('quarantined_records').select('position').where('source_id', '=', sourceId).execute()
    expect(quarantinedLeft.map((r) => r.position)).toEqual(['line 6'])

    // The late event's dedupe record stays: the platform redelivering it stores nothing twice.
    const again = await store.ingest.commit(lease, runId, {
      stream: 'AUDIT_LOG',
      origin: 'eclf_2',
      metadataId: await store.ingest.metadataId(sourceId, { _source: 's' }),
      events: [event('late', '2020-01-01T00:00:00Z')],
      quarantined: [],
      position: { after: 'x' },
      originsCompleted: 1,
      newestEventAt: undefined,
    })
    expect(again).toEqual({ stored: 0, duplicates: 1, quarantined: 0 })
    expect(await store.events.prune(7)).toEqual({ events: 0, quarantined: 0, runs: 0 })
    expect((await store.leases.view(sourceId))!.quarantinedRecords).toBe(1)
  })
})
