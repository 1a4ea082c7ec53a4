// Secrets at rest: AES-256-GCM envelopes, and no plaintext key anywhere in a database dump.
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SecretBox, verifySecretKey } from '../../../api/store/secrets.js'
import { startTestService, type TestService } from '../../helpers/app.js'
import { chatGptSourceBody, collectorBody } from '../../helpers/fixtures.js'

describe('SecretBox', () => {
  const box = new SecretBox(crypto.randomBytes(32))

  it('round-trips, with a fresh nonce per value', () => {
    const a = box.seal('sk-proj-abc')
    const b = box.seal('sk-proj-abc')
    expect(a).not.toBe(b)
    expect(a).not.toContain('sk-proj-abc')
    expect(box.open(a)).toBe('sk-proj-abc')
    expect(box.openJson(box.sealJson({ apiKey: 'k' }))).toEqual({ apiKey: 'k' })
  })

  it('refuses tampered ciphertext and the wrong key', () => {
    const sealed = box.seal('secret')
    const parts = sealed.split('.')
    const body = Buffer.from(parts[3]!, 'base64url')
    body[0]! ^= 1
    expect(() => box.open([parts[0], parts[1], parts[2], body.toString('base64url')].join('.'))).toThrow()
    expect(() => new SecretBox(crypto.randomBytes(32)).open(sealed)).toThrow()
    expect(() => box.open('not-sealed')).toThrow()
  })
})

describe('secrets in the database', () => {
  let t: TestService
  const apiKey = `sk-proj-${crypto.randomBytes(12).toString('hex')}`
  beforeAll(async () => {
    t = await startTestService()
    const c = await t.request('POST', '/api/v1/collectors', collectorBody('dump'))
    const s = await t.request('POST', `/api/v1/collectors/${c.json().collector.id}/sources`, chatGptSourceBody({}, { apiKey }))
    expect(s.statusCode).toBe(201)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('no table holds the plaintext key', async () => {
    const db = t.service.database.db
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)
    expect(tables.rows.map((r) => r.table_name)).toContain('sources')
    for (const { table_name } of tables.rows) {
      const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(table_name)} t`.execute(db)
      for (const { row } of rows.rows) expect(row, table_name).not.toContain(apiKey)
    }
  })

  it('no file of the embedded database, or pg_dump of the server database, holds the plaintext key', async () => {
    const { location } = t.testDatabase
    if (location.pgliteDir) {
      await sql`checkpoint`.execute(t.service.database.db)
      const needle = Buffer.from(apiKey)
      let scanned = 0
      for (const entry of await fs.readdir(location.pgliteDir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue
        const bytes = await fs.readFile(path.join(entry.parentPath, entry.name))
        scanned += bytes.length
        expect(bytes.includes(needle), path.join(entry.parentPath, entry.name)).toBe(false)
      }
      expect(scanned).toBeGreaterThan(1_000_000)
    } else {
      const dump = execFileSync('pg_dump', ['--no-owner', location.databaseUrl!], { maxBuffer: 256 * 1024 * 1024 }).toString()
      expect(dump).toContain('ChatGPT Compliance')
      expect(dump).not.toContain(apiKey)
    }
  })

  it('a start with a different OPENC2C_SECRET_KEY is refused with a clear message', async () => {
    await expect(verifySecretKey(t.service.database.db, new SecretBox(crypto.randomBytes(32)))).rejects.toThrow(/OPENC2C_SECRET_KEY does not match/)
    await expect(verifySecretKey(t.service.database.db, t.app.ctx.secretBox)).resolves.toBeUndefined()
  })
})
