// File delivery: rotation by size and by age (final names appear only for whole files, the open file
// is hidden), each event once across the files; after a crash between writing a batch and committing
// it, the open file is cut back to what counted and the batch is written once; a directory that
// cannot exist pauses the destination.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { makeDue } from '../../helpers/collecting.js'
import { type CollectedSource, type DeliveryHarness, eventually, quietPeriod, startDeliveryHarness } from './delivery-harness.js'

let h: DeliveryHarness
let audit: CollectedSource
let root: string

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'openc2c-file-destination-'))
  h = await startDeliveryHarness()
  audit = await h.collect('AUDIT_LOG', { files: 3, perFile: 10 })
})
afterAll(async () => {
  await h?.close()
  if (root) await fs.rm(root, { recursive: true, force: true })
})

async function fileDestination(config: Record<string, unknown>, sourceId = audit.sourceId, enabled = true): Promise<{ id: number; dir: string }> {
  const dir = path.join(root, `d${Math.random().toString(36).slice(2, 10)}`)
  const id = await h.createDestination({ type: 'file', config: { directory: dir, ...config }, filter: { sourceIds: [sourceId] }, enabled })
  onTestFinished(() => h.remove(id))
  return { id, dir }
}

interface Listing {
  /** Closed files, oldest first. */
  finals: string[]
  /** The open (hidden) file, if any. */
  partial: string | undefined
}

async function listing(dir: string, id: number): Promise<Listing> {
  const names = (await fs.readdir(dir)).sort()
  const finals = names.filter((n) => new RegExp(`^openc2c-${id}-\\d{8}T\\d{9}Z\\.ndjson$`).test(n))
  const partials = names.filter((n) => new RegExp(`^\\.openc2c-${id}-\\d{8}T\\d{9}Z\\.ndjson\\.partial$`).test(n))
  expect(names, 'only delivery files in the directory').toEqual([...partials, ...finals].sort())
  expect(partials.length).toBeLessThanOrEqual(1)
  return { finals, partial: partials[0] }
}

/** The event ids of a file, which must be whole NDJSON lines of event objects. */
async function fileIds(file: string): Promise<string[]> {
  const text = await fs.readFile(file, 'utf8')
  expect(text.endsWith('\n'), `${path.basename(file)} ends in a whole line`).toBe(true)
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const event = JSON.parse(line) as Record<string, unknown>
      expect(Object.keys(event)).toEqual(['id', 'type', 'timestamp', 'receivedAt', 'metadata', 'event'])
      return event.id as string
    })
}

/** Every event once, in seq order, across the files in order. */
async function expectEachOnce(dir: string, files: string[], ordered: string[]): Promise<void> {
  const ids: string[] = []
  for (const f of files) ids.push(...(await fileIds(path.join(dir, f))))
  expect(ids).toEqual(ordered)
}

describe('rotation', () => {
  it('by size: a file is closed once it reaches the size, each event is in one file once', async () => {
    const { id, dir } = await fileDestination({ maxFileBytes: 4096, maxFileAgeSeconds: 3600 })
    await h.waitCaughtUp(id)
    // Batches of ten events are more than 4 kB: each fills a file, which is closed at once.
    let files: Listing | undefined
    await eventually(async () => {
      files = await listing(dir, id)
      return files.partial === undefined && files.finals.length === 3
    }, 'three full files closed')
    const { finals } = files!
    for (const f of finals) expect((await fs.stat(path.join(dir, f))).size).toBeGreaterThanOrEqual(4096)
    await expectEachOnce(dir, finals, await h.idsInSeqOrder(audit.sourceId))
    // Private to the service's user: the directory it made and every file in it.
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700)
    for (const f of finals) expect((await fs.stat(path.join(dir, f))).mode & 0o777).toBe(0o600)
  })

  it('by age: the open file is closed when it is old enough, and the next events start a new one', async () => {
    const auth = await h.collect('AUTH_LOG', { files: 2, perFile: 10 })
    const { id, dir } = await fileDestination({ maxFileAgeSeconds: 1 }, auth.sourceId)
    await h.waitCaughtUp(id)
    const first = await (async () => {
      let seen: Listing | undefined
      await eventually(async () => {
        seen = await listing(dir, id)
        return seen.partial === undefined
      }, 'the first file closed by age')
      return seen!
    })()
    expect(first.finals).toHaveLength(1)
    await expectEachOnce(dir, first.finals, await h.idsInSeqOrder(auth.sourceId))

    // More events: a new file, closed by age in its turn.
    const { c } = h
    c.fake.addGeneratedFiles('AUTH_LOG', 1, 10)
    const [lastRun] = await c.runs(auth.sourceId)
    await makeDue(c, auth.sourceId)
    expect((await c.waitForRun(auth.sourceId, lastRun.id)).status).toBe('succeeded')
    let second: Listing | undefined
    await eventually(async () => {
      second = await listing(dir, id)
      return second.partial === undefined && second.finals.length === 2
    }, 'a second file closed by age')
    const ordered = await h.idsInSeqOrder(auth.sourceId)
    expect(ordered).toHaveLength(30)
    await expectEachOnce(dir, second!.finals, ordered)
    expect(await fileIds(path.join(dir, second!.finals[0]!))).toEqual(ordered.slice(0, 20))
  })
})

describe('recovery', () => {
  it('a batch written but not committed (a crash in between) is cut off at the next start and written once', async () => {
    const { id, dir } = await fileDestination({ maxFileAgeSeconds: 3600 })
    await h.waitCaughtUp(id)
    const ordered = await h.idsInSeqOrder(audit.sourceId)
    const { partial } = await listing(dir, id)
    const file = path.join(dir, partial!)
    const written = await fs.readFile(file)
    const db = h.service.database.db
    await h.restartService(async () => {
      // What a crash between writing the third batch and committing it leaves: the cursor and the
      // committed length as the second batch's commit left them (they move in one transaction), and
      // the third batch's lines after that length.
      const lines = written.toString('utf8').split('\n').slice(0, 20)
      const committed = Buffer.byteLength(`${lines.join('\n')}\n`)
      const seq = await sql<{ seq: number }>`select seq from events where source_id = ${audit.sourceId} and event_id = ${ordered[19]!}`.execute(db)
      await sql`update destination_cursors set delivered_seq = ${seq.rows[0]!.seq} where destination_id = ${id} and source_id = ${audit.sourceId}`.execute(db)
      const state = await sql<{ kind_state: { partial: string; bytes: number } }>`select kind_state from destination_leases where destination_id = ${id}`.execute(db)
      expect(state.rows[0]!.kind_state).toMatchObject({ partial, bytes: written.length })
      await sql`update destination_leases set kind_state = ${JSON.stringify({ ...state.rows[0]!.kind_state, bytes: committed })} where destination_id = ${id}`.execute(db)
    })
    await h.waitCaughtUp(id)
    // The batch was sent again (ten events, by the new service) and is in the file once.
    await eventually(async () => (await h.metrics()).value('openc2c_destination_events_delivered_total', { destination_id: String(id) }) === 10, 'the third batch delivered again')
    expect((await listing(dir, id)).partial).toBe(partial)
    await expectEachOnce(dir, [partial!], ordered)
    const state = await sql<{ kind_state: { bytes: number } }>`select kind_state from destination_leases where destination_id = ${id}`.execute(db)
    expect(state.rows[0]!.kind_state.bytes).toBe((await fs.stat(file)).size)
  })
})

describe('a commit that fails after the batch was written (the database refused it)', () => {
  for (const [failing, what] of [
    [1, 'the first batch of a new file: the file that was never committed is removed'],
    [2, 'a later batch: the file is cut back'],
  ] as const) {
    it(`${what}, and the batch is in the files once`, async () => {
      const db = h.service.database.db
      const { id, dir } = await fileDestination({ maxFileAgeSeconds: 3600 }, audit.sourceId, false)
      // The database refuses this destination's commits from the first or the second on (counted by
      // a sequence, which a failed transaction does not undo), until the test lifts the fault.
      await sql`create sequence file_commit_fault`.execute(db)
      await sql
        .raw(
          `create function file_commit_fault() returns trigger language plpgsql as $$
          begin
            if new.destination_id = ${id} then
              if nextval('file_commit_fault') >= ${failing} then
                raise exception 'injected: the commit fails';
              end if;
            end if;
            return new;
          end $$`,
        )
        .execute(db)
      await sql`create trigger file_commit_fault before insert on destination_cursors for each row execute function file_commit_fault()`.execute(db)
      const lift = async () => {
        await sql`drop trigger if exists file_commit_fault on destination_cursors`.execute(db)
        await sql`drop function if exists file_commit_fault()`.execute(db)
        await sql`drop sequence if exists file_commit_fault`.execute(db)
      }
      onTestFinished(lift)
      await h.replace(id, () => ({ enabled: true }))
      const failed = await h.waitForDestination(id, (d) => d.state.state === 'Error' && d.delivery.consecutiveFailures >= 3, 'three failed commits')
      expect(failed.state).toMatchObject({ errorType: 'FirstPartyGeneric', errorCode: 'internal', errorInfo: expect.stringContaining('injected: the commit fails') })
      await lift()
      await h.waitCaughtUp(id)
      const { finals, partial } = await listing(dir, id)
      expect(finals).toEqual([])
      await expectEachOnce(dir, [partial!], await h.idsInSeqOrder(audit.sourceId))
    })
  }
})

describe('a directory that cannot be made', () => {
  it('pauses with DestinationConfig (a path under a regular file cannot become a directory by retrying), and a restart after the fix delivers', async () => {
    const blocker = path.join(root, `blocker-${Date.now()}`)
    await fs.writeFile(blocker, 'a regular file where a directory should be\n')
    const dir = path.join(blocker, 'events')
    const id = await h.createDestination({ type: 'file', config: { directory: dir }, filter: { sourceIds: [audit.sourceId] } })
    onTestFinished(() => h.remove(id))
    const paused = await h.waitForDestination(id, (d) => d.state.state === 'Error' && !d.delivery.delivering, 'paused')
    expect(paused.state).toMatchObject({ state: 'Error', errorType: 'DestinationConfig', errorCode: 'file.directory' })
    expect(paused.state.errorInfo).toContain('ENOTDIR')
    expect(paused.delivery.lagEvents).toBe(audit.ids.size)
    const m = await h.metrics()
    expect(m.value('openc2c_destination_state', { destination_id: String(id), state: 'Error', error_type: 'DestinationConfig' })).toBe(1)
    // Paused, not retrying: the lease row stays blocked and nothing changes.
    await quietPeriod(500)
    const lease = await sql<{ blocked: boolean; lease_owner: string | null }>`select blocked, lease_owner from destination_leases where destination_id = ${id}`.execute(h.service.database.db)
    expect(lease.rows[0]).toEqual({ blocked: true, lease_owner: null })
    expect((await h.destination(id)).state).toEqual(paused.state)

    await fs.rm(blocker)
    await h.restart(id)
    await h.waitCaughtUp(id)
    const { partial } = await listing(dir, id)
    await expectEachOnce(dir, [partial!], await h.idsInSeqOrder(audit.sourceId))
  })
})
