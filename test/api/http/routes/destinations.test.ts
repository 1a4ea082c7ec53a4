// Wire tests for the destinations resource (an openc2c extension, docs/destinations.md): CRUD under
// /api/v1 and /v1 with ETag / If-Match, secret masking for every kind, validation that names the
// field and changes nothing, 404s on every route, restart, dead letters and replay, state and health.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stableEventId } from '../../../../api/destinations/wire.js'
import { compareDelivery, type FakeElasticsearch, type FakeWebhook, startFakeElasticsearch, startFakeSplunkHec, startFakeWebhook } from '../../../fakes/receivers/index.js'
import { startTestService, type TestService } from '../../../helpers/app.js'
import { type Collecting, startCollecting } from '../../../helpers/collecting.js'

const MASK = '********'
const PREFIXES = ['/api/v1', '/v1'] as const

interface KindCase {
  label: string
  type: string
  config: Record<string, unknown>
  /** The sealed secrets the config must store, by their flat name. */
  secrets: Record<string, string>
}

const KIND_CASES: KindCase[] = [
  {
    label: 'splunk_hec token',
    type: 'splunk_hec',
    config: { url: 'https://splunk.example:8088', token: 'hec-token-S3CRET-a1', indexerAck: true, index: 'main', sourcetype: 'openc2c:audit', source: 'chatgpt' },
    secrets: { token: 'hec-token-S3CRET-a1' },
  },
  {
    label: 'elasticsearch apiKey',
    type: 'elasticsearch',
    config: { url: 'https://es.example:9200', index: 'logs-openc2c', apiKey: 'es-apikey-S3CRET-b2' },
    secrets: { apiKey: 'es-apikey-S3CRET-b2' },
  },
  {
    label: 'elasticsearch password',
    type: 'elasticsearch',
    config: { url: 'https://es.example:9200', index: 'logs-openc2c', username: 'elastic', password: 'es-password-S3CRET-c3' },
    secrets: { password: 'es-password-S3CRET-c3' },
  },
  {
    label: 'sumo_http url',
    type: 'sumo_http',
    config: { url: 'https://endpoint4.collection.sumologic.com/receiver/v1/http/ZaVnC4dhaV3-S3CRET-d4' },
    secrets: { url: 'https://endpoint4.collection.sumologic.com/receiver/v1/http/ZaVnC4dhaV3-S3CRET-d4' },
  },
  {
    label: 'webhook header values and signingKey',
    type: 'webhook',
    config: { url: 'https://hooks.example/in', headers: { Authorization: 'Bearer S3CRET-e5', 'X-Api-Key': 'key-S3CRET-f6' }, gzip: true, signingKey: 'signing-S3CRET-g7' },
    secrets: { 'headers.Authorization': 'Bearer S3CRET-e5', 'headers.X-Api-Key': 'key-S3CRET-f6', signingKey: 'signing-S3CRET-g7' },
  },
  {
    label: 'file (no secrets)',
    type: 'file',
    config: { directory: '/var/lib/openc2c/out', maxFileBytes: 1048576, maxFileAgeSeconds: 60 },
    secrets: {},
  },
]

/** The config as the API must answer it: every secret value replaced by the mask. */
function masked(kind: KindCase): Record<string, unknown> {
  const config = structuredClone(kind.config)
  for (const name of Object.keys(kind.secrets)) {
    const [key, entry] = name.split('.') as [string, string | undefined]
    if (entry === undefined) config[key] = MASK
    else (config[key] as Record<string, unknown>)[entry] = MASK
  }
  return config
}

function expectNoSecret(text: string, kind: KindCase): void {
  for (const secret of Object.values(kind.secrets)) expect(text, 'a secret in an answer').not.toContain(secret.slice(-10))
}

let names = 0
const uniqueName = (prefix = 'dest') => `${prefix}-${++names}`

function destinationBody(fields: Record<string, unknown>) {
  return { destination: { name: uniqueName(), type: 'webhook', config: { url: 'https://hooks.example/in' }, ...fields } }
}

/** The input fields of a destination as GET answers it: what a client PUTs back. */
function inputOf(destination: any) {
  const { id, name, type, enabled, config, filter, startFrom } = destination
  return { id, name, type, enabled, config, filter, startFrom }
}

/** Every stored row of the destination tables, to show a rejected request changed nothing. */
async function storedRows(t: TestService) {
  const db = t.service.database.db
  const out: Record<string, unknown[]> = {}
  for (const table of ['destinations', 'destination_leases', 'destination_cursors', 'destination_pending', 'dead_letters', 'destination_replays']) {
    out[table] = (await sql`select * from ${sql.table(table)} order by 1`.execute(db)).rows
  }
  return out
}

async function destinationRow(t: TestService, id: number) {
  const result = await sql<{ config: unknown; secrets: string | null }>`select config, secrets from destinations where id = ${id}`.execute(t.service.database.db)
  return result.rows[0]!
}

function openSecrets(t: TestService, sealed: string | null): Record<string, string> {
  return sealed === null ? {} : t.app.ctx.secretBox.openJson(sealed)
}

describe('destinations resource (scheduler off)', () => {
  let t: TestService
  beforeAll(async () => {
    t = await startTestService()
  })
  afterAll(async () => {
    await t?.close()
  })

  async function create(fields: Record<string, unknown> = {}) {
    const res = await t.request('POST', '/api/v1/destinations', destinationBody(fields))
    expect(res.statusCode, res.body).toBe(201)
    return { destination: res.json().destination, etag: res.headers.etag as string }
  }

  describe('create, read, list, replace, delete', () => {
    it('creates under /api/v1 and /v1 with ids from 300000001, 201, Location and ETag', async () => {
      const ids: number[] = []
      for (const prefix of PREFIXES) {
        const name = uniqueName('first')
        const res = await t.request('POST', `${prefix}/destinations`, { 'api.version': 'v1', destination: { name, type: 'webhook', config: { url: 'https://hooks.example/in' } } })
        expect(res.statusCode, res.body).toBe(201)
        const { destination } = res.json()
        ids.push(destination.id)
        expect(res.headers.location).toBe(`/v1/destinations/${destination.id}`)
        expect(res.headers.etag).toMatch(/^"[0-9a-f]{32}"$/)
        expect(destination).toMatchObject({ name, type: 'webhook', enabled: true, filter: {}, startFrom: 'earliest', state: { state: 'Pending' } })
        // The ETag of the create is the one a GET answers: a client can update without reading first.
        const get = await t.request('GET', `${prefix}/destinations/${destination.id}`)
        expect(get.statusCode).toBe(200)
        expect(get.headers.etag).toBe(res.headers.etag)
        expect(get.json().destination).toEqual(destination)
      }
      expect(ids).toEqual([300000001, 300000002])
    })

    it('answers state and delivery health on every read', async () => {
      const { destination } = await create()
      const get = (await t.request('GET', `/v1/destinations/${destination.id}`)).json().destination
      expect(get.state).toEqual({ state: 'Pending' })
      expect(get.delivery).toEqual({ lastSuccessAt: null, eventsDelivered: 0, lagEvents: 0, lagSeconds: 0, consecutiveFailures: 0, deadLetters: 0, delivering: false })
      const disabled = await create({ enabled: false })
      expect(disabled.destination.state).toEqual({ state: 'Disabled' })
      expect(disabled.destination.enabled).toBe(false)
    })

    it('lists every destination in id order, on both prefixes', async () => {
      const a = await create()
      const b = await create({ type: 'file', config: { directory: '/srv/out' } })
      for (const prefix of PREFIXES) {
        const res = await t.request('GET', `${prefix}/destinations`)
        expect(res.statusCode).toBe(200)
        const list = res.json().destinations as any[]
        expect(list.map((d) => d.id)).toEqual([...list.map((d) => d.id)].sort((x, y) => x - y))
        expect(list.find((d) => d.id === a.destination.id)).toEqual(a.destination)
        expect(list.find((d) => d.id === b.destination.id)).toEqual(b.destination)
      }
    })

    it('replaces with If-Match: 403 without it, 412 when stale, 200 and a new ETag when current', async () => {
      const { destination, etag } = await create({ filter: { eventTypes: ['AUDIT'] } })
      const url = `/api/v1/destinations/${destination.id}`
      const body = { destination: { ...inputOf(destination), name: uniqueName('renamed'), filter: { sourceCategory: 'chatgpt/*' } } }
      const before = await storedRows(t)
      const missing = await t.request('PUT', url, body)
      expect(missing.statusCode).toBe(403)
      expect(missing.json()).toMatchObject({ status: 403, code: 'forbidden', errors: [{ path: 'header.If-Match' }] })
      const empty = await t.request('PUT', url, body, { 'if-match': '' })
      expect(empty.statusCode).toBe(403)
      const stale = await t.request('PUT', url, body, { 'if-match': '"00000000000000000000000000000000"' })
      expect(stale.statusCode).toBe(412)
      expect(stale.json()).toMatchObject({ status: 412, code: 'precondition.failed' })
      expect(await storedRows(t)).toEqual(before)

      const ok = await t.request('PUT', `/v1/destinations/${destination.id}`, body, { 'if-match': etag })
      expect(ok.statusCode, ok.body).toBe(200)
      expect(ok.headers.etag).toMatch(/^"[0-9a-f]{32}"$/)
      expect(ok.headers.etag).not.toBe(etag)
      expect(ok.json().destination).toMatchObject({ id: destination.id, name: body.destination.name, filter: { sourceCategory: 'chatgpt/*' } })
      expect((await t.request('GET', url)).headers.etag).toBe(ok.headers.etag)
      // The ETag read before the update is stale now.
      const again = await t.request('PUT', url, body, { 'if-match': etag })
      expect(again.statusCode).toBe(412)
      // `*` matches whatever the current version is.
      const star = await t.request('PUT', url, { destination: { ...body.destination, enabled: false } }, { 'if-match': '*' })
      expect(star.statusCode, star.body).toBe(200)
      expect(star.json().destination).toMatchObject({ enabled: false, state: { state: 'Disabled' } })
    })

    it('deletes: 200 with an empty body, then 404 everywhere', async () => {
      const { destination } = await create()
      const res = await t.request('DELETE', `/v1/destinations/${destination.id}`)
      expect(res.statusCode).toBe(200)
      expect(res.body).toBe('')
      const rows = await sql`select id from destinations where id = ${destination.id}`.execute(t.service.database.db)
      expect(rows.rows).toEqual([])
      expect((await t.request('GET', `/api/v1/destinations/${destination.id}`)).statusCode).toBe(404)
      expect((await t.request('DELETE', `/api/v1/destinations/${destination.id}`)).json()).toMatchObject({ status: 404, code: 'destinations.destination.invalid' })
      const list = (await t.request('GET', '/api/v1/destinations')).json().destinations as any[]
      expect(list.some((d) => d.id === destination.id)).toBe(false)
    })
  })

  describe('secrets', () => {
    it.each(KIND_CASES)('$label: masked in every answer, sealed in the database, kept by a PUT of the mask', async (kind) => {
      const create = await t.request('POST', '/api/v1/destinations', { destination: { name: uniqueName(kind.type), type: kind.type, config: kind.config } })
      expect(create.statusCode, create.body).toBe(201)
      const { destination } = create.json()
      const url = `/api/v1/destinations/${destination.id}`
      expect(destination.config).toEqual(masked(kind))
      expectNoSecret(create.body, kind)

      const get = await t.request('GET', url)
      expect(get.json().destination.config).toEqual(masked(kind))
      expectNoSecret(get.body, kind)
      const list = await t.request('GET', '/v1/destinations')
      expect(list.json().destinations.find((d: any) => d.id === destination.id).config).toEqual(masked(kind))
      expectNoSecret(list.body, kind)

      // Stored: the config column holds the mask, the secrets column only sealed text.
      const row = await destinationRow(t, destination.id)
      expect(row.config).toEqual(masked(kind))
      if (Object.keys(kind.secrets).length === 0) expect(row.secrets).toBeNull()
      else {
        expectNoSecret(row.secrets!, kind)
        expect(openSecrets(t, row.secrets)).toEqual(kind.secrets)
      }

      // PUT back what GET answered (the masks), with a change elsewhere: the stored secrets stay.
      const renamed = uniqueName(`${kind.type}-renamed`)
      const put = await t.request('PUT', url, { destination: { ...inputOf(get.json().destination), name: renamed } }, { 'if-match': get.headers.etag as string })
      expect(put.statusCode, put.body).toBe(200)
      expect(put.json().destination).toMatchObject({ name: renamed, config: masked(kind) })
      expectNoSecret(put.body, kind)
      expect(openSecrets(t, (await destinationRow(t, destination.id)).secrets)).toEqual(kind.secrets)

      const restart = await t.request('POST', `${url}/action/restart`)
      expect(restart.statusCode).toBe(200)
      expectNoSecret(restart.body, kind)

      // A new value replaces the stored one.
      if (Object.keys(kind.secrets).length > 0) {
        const changed = structuredClone(kind.config)
        const replacements: Record<string, string> = {}
        for (const name of Object.keys(kind.secrets)) {
          const [key, entry] = name.split('.') as [string, string | undefined]
          const value = kind.type === 'sumo_http' ? 'https://endpoint4.collection.sumologic.com/receiver/v1/http/NEWCODE' : `new-${name.replace('.', '-')}-value`
          replacements[name] = value
          if (entry === undefined) changed[key] = value
          else (changed[key] as Record<string, unknown>)[entry] = value
        }
        const put2 = await t.request('PUT', url, { destination: { name: renamed, type: kind.type, config: changed } }, { 'if-match': put.headers.etag as string })
        expect(put2.statusCode, put2.body).toBe(200)
        expect(put2.json().destination.config).toEqual(masked(kind))
        expect(openSecrets(t, (await destinationRow(t, destination.id)).secrets)).toEqual(replacements)
      }
    })

    it('webhook: a header sent as the mask keeps its value while another changes; a new header sent as the mask is a 400', async () => {
      const kind = KIND_CASES.find((k) => k.type === 'webhook')!
      const res = await t.request('POST', '/api/v1/destinations', { destination: { name: uniqueName('hook'), type: 'webhook', config: kind.config } })
      const { destination } = res.json()
      const url = `/api/v1/destinations/${destination.id}`
      const put = await t.request(
        'PUT',
        url,
        { destination: { name: destination.name, type: 'webhook', config: { url: 'https://hooks.example/in', headers: { Authorization: MASK, 'X-Api-Key': 'key-rotated-1' }, signingKey: MASK } } },
        { 'if-match': res.headers.etag as string },
      )
      expect(put.statusCode, put.body).toBe(200)
      expect(put.json().destination.config).toEqual({ url: 'https://hooks.example/in', headers: { Authorization: MASK, 'X-Api-Key': MASK }, signingKey: MASK })
      expect(openSecrets(t, (await destinationRow(t, destination.id)).secrets)).toEqual({
        'headers.Authorization': 'Bearer S3CRET-e5',
        'headers.X-Api-Key': 'key-rotated-1',
        signingKey: 'signing-S3CRET-g7',
      })

      const before = await storedRows(t)
      const bad = await t.request(
        'PUT',
        url,
        { destination: { name: destination.name, type: 'webhook', config: { url: 'https://hooks.example/in', headers: { 'X-New': MASK } } } },
        { 'if-match': put.headers.etag as string },
      )
      expect(bad.statusCode).toBe(400)
      expect(bad.json()).toMatchObject({ code: 'destinations.validation.config.invalid' })
      expect(bad.json().errors).toEqual([{ path: '$.destination.config.headers["X-New"]', message: 'is the mask "********"; send the real value (no value is stored yet)' }])
      expect(await storedRows(t)).toEqual(before)
    })

    it('elasticsearch: moving from apiKey to username + the mask as password is a 400 (no password is stored)', async () => {
      const res = await t.request('POST', '/api/v1/destinations', { destination: { name: uniqueName('es'), type: 'elasticsearch', config: { url: 'https://es.example:9200', index: 'logs', apiKey: 'es-key-1' } } })
      const { destination } = res.json()
      const before = await storedRows(t)
      const put = await t.request(
        'PUT',
        `/api/v1/destinations/${destination.id}`,
        { destination: { name: destination.name, type: 'elasticsearch', config: { url: 'https://es.example:9200', index: 'logs', username: 'elastic', password: MASK } } },
        { 'if-match': res.headers.etag as string },
      )
      expect(put.statusCode).toBe(400)
      expect(put.json().errors).toEqual([{ path: '$.destination.config.password', message: 'is the mask "********"; send the real value (no value is stored yet)' }])
      expect(await storedRows(t)).toEqual(before)
    })

    it('a secret given as the mask on create is a 400 naming it', async () => {
      const before = await storedRows(t)
      const res = await t.request('POST', '/api/v1/destinations', { destination: { name: uniqueName(), type: 'splunk_hec', config: { url: 'https://splunk.example:8088', token: MASK } } })
      expect(res.statusCode).toBe(400)
      expect(res.json().errors).toEqual([{ path: '$.destination.config.token', message: 'is the mask "********"; send the real value (no value is stored yet)' }])
      expect(await storedRows(t)).toEqual(before)
    })

    it('never echoes a rejected secret', async () => {
      const marker = 'SECRETMARKER'
      for (const config of [
        { url: 'https://splunk.example:8088', token: `tok-${marker} with space` },
        { url: 'https://splunk.example:8088', token: `tok-${marker}\n\u001b[31m` },
        { url: 'https://splunk.example:8088', token: `${marker}`.repeat(400) },
      ]) {
        const res = await t.request('POST', '/api/v1/destinations', { destination: { name: uniqueName(), type: 'splunk_hec', config } })
        expect(res.statusCode).toBe(400)
        expect(res.json().errors[0].path).toBe('$.destination.config.token')
        expect(res.body).not.toContain(marker)
      }
    })
  })

  describe('validation', () => {
    it('name is unique: a duplicate on create or rename is a 400 naming $.destination.name, changing nothing', async () => {
      const taken = await create()
      const other = await create()
      const before = await storedRows(t)
      const dup = await t.request('POST', '/api/v1/destinations', destinationBody({ name: taken.destination.name }))
      expect(dup.statusCode).toBe(400)
      expect(dup.json()).toMatchObject({ status: 400, code: 'destinations.validation.name.duplicate', errors: [{ path: '$.destination.name', message: 'must be unique' }] })
      const rename = await t.request('PUT', `/v1/destinations/${other.destination.id}`, { destination: { ...inputOf(other.destination), name: taken.destination.name } }, { 'if-match': other.etag })
      expect(rename.statusCode).toBe(400)
      expect(rename.json()).toMatchObject({ code: 'destinations.validation.name.duplicate', errors: [{ path: '$.destination.name' }] })
      expect(await storedRows(t)).toEqual(before)
      // The old ETag still holds: the rejected PUT did not bump the version.
      const ok = await t.request('PUT', `/v1/destinations/${other.destination.id}`, { destination: inputOf(other.destination) }, { 'if-match': other.etag })
      expect(ok.statusCode, ok.body).toBe(200)
    })

    const cfg = (path: string) => `$.destination.config${path}`
    const URL_MESSAGE = 'must be an http:// or https:// URL without spaces'
    const TOKEN_MESSAGE = 'must be 1 to 4096 printable ASCII characters, without spaces or control characters'
    const HEADER_MESSAGE = 'must be 1 to 4096 printable ASCII characters, without control characters or spaces at either end'
    const INDEX_MESSAGE = 'must be a lowercase index or data stream name (letters, digits, ".", "_", "+", "-")'
    const ES = { url: 'https://es.example:9200', index: 'logs' }
    const CONFIG_CASES: [string, string, Record<string, unknown>, string, string][] = [
      ['splunk_hec', 'missing url', { token: 't' }, cfg('.url'), 'is required'],
      ['splunk_hec', 'url not http', { url: 'ftp://splunk.example', token: 't' }, cfg('.url'), URL_MESSAGE],
      ['splunk_hec', 'url with a space', { url: 'https://splunk example', token: 't' }, cfg('.url'), URL_MESSAGE],
      ['splunk_hec', 'url not a string', { url: 8088, token: 't' }, cfg('.url'), 'must be a string'],
      ['splunk_hec', 'missing token', { url: 'https://s.example' }, cfg('.token'), 'is required'],
      ['splunk_hec', 'token with a space', { url: 'https://s.example', token: 'a b' }, cfg('.token'), TOKEN_MESSAGE],
      ['splunk_hec', 'indexerAck not boolean', { url: 'https://s.example', token: 't', indexerAck: 'yes' }, cfg('.indexerAck'), 'must be a boolean'],
      ['splunk_hec', 'index with a newline', { url: 'https://s.example', token: 't', index: 'a\nb' }, cfg('.index'), 'must be 1 to 1024 characters without control characters'],
      ['splunk_hec', 'unknown key', { url: 'https://s.example', token: 't', hecToken: 'x' }, cfg('.hecToken'), 'is not a known field; accepted fields: url, token, indexerAck, index, sourcetype, source'],
      ['elasticsearch', 'missing url', { index: 'logs', apiKey: 'k' }, cfg('.url'), 'is required'],
      ['elasticsearch', 'missing index', { url: ES.url, apiKey: 'k' }, cfg('.index'), 'is required'],
      ['elasticsearch', 'upper-case index', { ...ES, index: 'Logs', apiKey: 'k' }, cfg('.index'), INDEX_MESSAGE],
      ['elasticsearch', 'index starting with _', { ...ES, index: '_logs', apiKey: 'k' }, cfg('.index'), INDEX_MESSAGE],
      ['elasticsearch', 'index with a slash', { ...ES, index: 'a/b', apiKey: 'k' }, cfg('.index'), INDEX_MESSAGE],
      ['elasticsearch', 'no auth', { ...ES }, cfg('.username'), 'is required: give apiKey, or username and password'],
      ['elasticsearch', 'apiKey and username/password', { ...ES, apiKey: 'k', username: 'u', password: 'p' }, cfg('.apiKey'), 'cannot be combined with username/password; use one way to authenticate'],
      ['elasticsearch', 'apiKey and password', { ...ES, apiKey: 'k', password: 'p' }, cfg('.apiKey'), 'cannot be combined with username/password; use one way to authenticate'],
      ['elasticsearch', 'username without password', { ...ES, username: 'u' }, cfg('.password'), 'is required: give apiKey, or username and password'],
      ['elasticsearch', 'password without username', { ...ES, password: 'p' }, cfg('.username'), 'is required: give apiKey, or username and password'],
      ['elasticsearch', 'username with a colon', { ...ES, username: 'a:b', password: 'p' }, cfg('.username'), 'must not hold ":" or control characters'],
      ['elasticsearch', 'apiKey not a string', { ...ES, apiKey: 42 }, cfg('.apiKey'), 'must be a string'],
      ['sumo_http', 'missing url', {}, cfg('.url'), 'is required'],
      ['sumo_http', 'invalid url', { url: 'endpoint4.collection.sumologic.com/receiver' }, cfg('.url'), URL_MESSAGE],
      ['sumo_http', 'unknown key', { url: 'https://sumo.example/r', category: 'x' }, cfg('.category'), 'is not a known field; accepted fields: url'],
      ['webhook', 'missing url', { gzip: true }, cfg('.url'), 'is required'],
      ['webhook', 'reserved header Content-Type', { url: 'https://h.example', headers: { 'Content-Type': 'text/plain' } }, cfg('.headers["Content-Type"]'), 'is set by the delivery itself and cannot be configured'],
      ['webhook', 'reserved header X-Openc2c-Signature', { url: 'https://h.example', headers: { 'x-openc2c-signature': 'sha256=00' } }, cfg('.headers["x-openc2c-signature"]'), 'is set by the delivery itself and cannot be configured'],
      ['webhook', 'header value with a newline', { url: 'https://h.example', headers: { Authorization: 'Bearer a\nb' } }, cfg('.headers.Authorization'), HEADER_MESSAGE],
      ['webhook', 'header value with a leading space', { url: 'https://h.example', headers: { 'X-Key': ' abc' } }, cfg('.headers["X-Key"]'), HEADER_MESSAGE],
      ['webhook', 'empty header value', { url: 'https://h.example', headers: { 'X-Key': '' } }, cfg('.headers["X-Key"]'), HEADER_MESSAGE],
      ['webhook', 'gzip not boolean', { url: 'https://h.example', gzip: 'true' }, cfg('.gzip'), 'must be a boolean'],
      ['webhook', 'empty signingKey', { url: 'https://h.example', signingKey: '' }, cfg('.signingKey'), TOKEN_MESSAGE],
      ['webhook', 'headers not an object', { url: 'https://h.example', headers: ['Authorization: x'] }, cfg('.headers'), 'must be an object'],
      ['file', 'missing directory', {}, cfg('.directory'), 'is required'],
      ['file', 'relative directory', { directory: 'var/out' }, cfg('.directory'), 'must be an absolute path'],
      ['file', 'dot-relative directory', { directory: './out' }, cfg('.directory'), 'must be an absolute path'],
      ['file', 'maxFileBytes too small', { directory: '/srv/out', maxFileBytes: 10 }, cfg('.maxFileBytes'), 'must be >= 1024'],
      ['file', 'maxFileBytes as text', { directory: '/srv/out', maxFileBytes: '1024' }, cfg('.maxFileBytes'), 'must be an integer'],
      ['file', 'maxFileAgeSeconds zero', { directory: '/srv/out', maxFileAgeSeconds: 0 }, cfg('.maxFileAgeSeconds'), 'must be >= 1'],
      ['file', 'maxFileAgeSeconds fractional', { directory: '/srv/out', maxFileAgeSeconds: 1.5 }, cfg('.maxFileAgeSeconds'), 'must be an integer'],
      ['file', 'unknown key', { directory: '/srv/out', path: '/x' }, cfg('.path'), 'is not a known field; accepted fields: directory, maxFileBytes, maxFileAgeSeconds'],
    ]

    it.each(CONFIG_CASES)('%s config, %s: 400 naming the field on create and on update, changing nothing', async (type, _what, config, path, message) => {
      const before = await storedRows(t)
      const res = await t.request('POST', '/api/v1/destinations', { destination: { name: uniqueName(), type, config } })
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json()).toMatchObject({ status: 400, code: 'destinations.validation.config.invalid' })
      expect(res.json().errors).toContainEqual({ path, message })
      expect(await storedRows(t)).toEqual(before)
    })

    it.each(CONFIG_CASES.filter(([type]) => type === 'webhook'))('an update with webhook config %s is rejected the same way', async (_type, _what, config, path, message) => {
      const { destination, etag } = await create()
      const before = await storedRows(t)
      const res = await t.request('PUT', `/api/v1/destinations/${destination.id}`, { destination: { name: destination.name, type: 'webhook', config } }, { 'if-match': etag })
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().errors).toContainEqual({ path, message })
      expect(await storedRows(t)).toEqual(before)
    })

    const ENVELOPE_CASES: [string, Record<string, unknown>, string, string][] = [
      ['unknown type', { type: 'kafka' }, '$.destination.type', 'must be one of: "splunk_hec", "elasticsearch", "sumo_http", "webhook", "file"'],
      ['missing type', { type: undefined }, '$.destination.type', 'is required'],
      ['missing name', { name: undefined }, '$.destination.name', 'is required'],
      ['blank name', { name: '   ' }, '$.destination.name', 'must be 1 to 128 characters and not blank'],
      ['name too long', { name: 'n'.repeat(129) }, '$.destination.name', 'must be 1 to 128 characters and not blank'],
      ['enabled not boolean', { enabled: 'yes' }, '$.destination.enabled', 'must be a boolean'],
      ['config not an object', { config: 'https://hooks.example' }, '$.destination.config', 'must be an object'],
      ['missing config', { config: undefined }, '$.destination.config', 'is required'],
      ['unknown startFrom', { startFrom: 'latest' }, '$.destination.startFrom', 'must be one of: "earliest", "now"'],
      ['unknown envelope key', { tags: ['x'] }, '$.destination.tags', 'is not a known field; accepted fields: id, name, type, enabled, config, filter, startFrom'],
      ['an id on create', { id: 300000001 }, '$.destination.id', 'must be absent: the service assigns ids'],
      ['filter not an object', { filter: ['chatgpt'] }, '$.destination.filter', 'must be an object'],
      ['unknown filter key', { filter: { collectorId: [1] } }, '$.destination.filter.collectorId', 'is not a known field; accepted fields: collectorIds, sourceIds, sourceCategory, eventTypes'],
      ['collectorIds not an array', { filter: { collectorIds: 100000001 } }, '$.destination.filter.collectorIds', 'must be an array'],
      ['collectorIds with 0', { filter: { collectorIds: [0] } }, '$.destination.filter.collectorIds[0]', 'must be >= 1'],
      ['collectorIds with text', { filter: { collectorIds: [1, '2'] } }, '$.destination.filter.collectorIds[1]', 'must be an integer'],
      ['collectorIds with a fraction', { filter: { collectorIds: [1.5] } }, '$.destination.filter.collectorIds[0]', 'must be an integer'],
      ['collectorIds repeated', { filter: { collectorIds: [7, 7] } }, '$.destination.filter.collectorIds', 'must NOT have duplicate items (items ## 1 and 0 are identical)'],
      ['collectorIds too many', { filter: { collectorIds: Array.from({ length: 1001 }, (_, i) => i + 1) } }, '$.destination.filter.collectorIds', 'must NOT have more than 1000 items'],
      ['sourceIds not an array', { filter: { sourceIds: '200000001' } }, '$.destination.filter.sourceIds', 'must be an array'],
      ['sourceIds negative', { filter: { sourceIds: [-1] } }, '$.destination.filter.sourceIds[0]', 'must be >= 1'],
      ['sourceIds repeated', { filter: { sourceIds: [3, 3] } }, '$.destination.filter.sourceIds', 'must NOT have duplicate items (items ## 1 and 0 are identical)'],
      ['sourceCategory empty', { filter: { sourceCategory: '' } }, '$.destination.filter.sourceCategory', 'must NOT have fewer than 1 characters'],
      ['sourceCategory not text', { filter: { sourceCategory: 5 } }, '$.destination.filter.sourceCategory', 'must be a string'],
      ['sourceCategory too long', { filter: { sourceCategory: 'c'.repeat(1025) } }, '$.destination.filter.sourceCategory', 'must NOT have more than 1024 characters'],
      ['eventTypes not an array', { filter: { eventTypes: 'AUDIT' } }, '$.destination.filter.eventTypes', 'must be an array'],
      ['eventTypes with a space', { filter: { eventTypes: ['AUDIT LOG'] } }, '$.destination.filter.eventTypes[0]', 'must be an event type name such as AUDIT_LOG or AUDIT'],
      ['eventTypes with an empty name', { filter: { eventTypes: ['AUDIT', ''] } }, '$.destination.filter.eventTypes[1]', 'must be an event type name such as AUDIT_LOG or AUDIT'],
      ['eventTypes not text', { filter: { eventTypes: [1] } }, '$.destination.filter.eventTypes[0]', 'must be a string'],
      ['eventTypes repeated', { filter: { eventTypes: ['AUDIT', 'AUDIT'] } }, '$.destination.filter.eventTypes', 'must NOT have duplicate items (items ## 1 and 0 are identical)'],
    ]

    it.each(ENVELOPE_CASES)('%s: 400 naming the field, changing nothing', async (_what, fields, path, message) => {
      const body = destinationBody(fields)
      for (const [key, value] of Object.entries(fields)) if (value === undefined) delete (body.destination as Record<string, unknown>)[key]
      const before = await storedRows(t)
      const res = await t.request('POST', '/v1/destinations', body)
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json()).toMatchObject({ status: 400 })
      expect(res.json().errors).toContainEqual({ path, message })
      expect(await storedRows(t)).toEqual(before)
    })

    it.each(ENVELOPE_CASES.filter(([, fields]) => fields.filter !== undefined))('an update with %s is rejected the same way', async (_what, fields, path, message) => {
      const { destination, etag } = await create({ filter: { eventTypes: ['AUDIT'] } })
      const before = await storedRows(t)
      const res = await t.request('PUT', `/v1/destinations/${destination.id}`, { destination: { ...inputOf(destination), ...fields } }, { 'if-match': etag })
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().errors).toContainEqual({ path, message })
      expect(await storedRows(t)).toEqual(before)
    })

    it('accepts every filter key, and an empty filter; absent means {}', async () => {
      const filter = { collectorIds: [100000001], sourceIds: [200000001, 200000002], sourceCategory: 'chatgpt/*', eventTypes: ['CONVERSATION', 'AUDIT_LOG'] }
      expect((await create({ filter })).destination.filter).toEqual(filter)
      expect((await create({ filter: {} })).destination.filter).toEqual({})
      expect((await create()).destination.filter).toEqual({})
    })

    it('type and startFrom cannot change on PUT; the id in the body must match the URL', async () => {
      const { destination, etag } = await create({ startFrom: 'now' })
      expect(destination.startFrom).toBe('now')
      const url = `/api/v1/destinations/${destination.id}`
      const before = await storedRows(t)
      const type = await t.request('PUT', url, { destination: { ...inputOf(destination), type: 'file', config: { directory: '/srv/out' } } }, { 'if-match': etag })
      expect(type.statusCode).toBe(400)
      expect(type.json()).toMatchObject({ code: 'destinations.validation.type.immutable', errors: [{ path: '$.destination.type' }] })
      const startFrom = await t.request('PUT', url, { destination: { ...inputOf(destination), startFrom: 'earliest' } }, { 'if-match': etag })
      expect(startFrom.statusCode).toBe(400)
      expect(startFrom.json()).toMatchObject({ code: 'destinations.validation.startFrom.immutable', errors: [{ path: '$.destination.startFrom' }] })
      const id = await t.request('PUT', url, { destination: { ...inputOf(destination), id: destination.id + 1 } }, { 'if-match': etag })
      expect(id.statusCode).toBe(400)
      expect(id.json()).toMatchObject({ errors: [{ path: '$.destination.id' }] })
      expect(await storedRows(t)).toEqual(before)
      // Sending the same startFrom, or leaving it out, keeps it.
      const same = await t.request('PUT', url, { destination: { ...inputOf(destination), startFrom: 'now' } }, { 'if-match': etag })
      expect(same.statusCode, same.body).toBe(200)
      const omitted = await t.request('PUT', url, { destination: { name: destination.name, type: 'webhook', config: { url: 'https://hooks.example/in' } } }, { 'if-match': same.headers.etag as string })
      expect(omitted.statusCode, omitted.body).toBe(200)
      expect(omitted.json().destination.startFrom).toBe('now')
    })
  })

  describe('unknown and malformed ids', () => {
    const IDS = ['300099999', '1', 'abc', '0', '-1', '3e8', '300000001.0', '9'.repeat(20), '%20']
    const routes = (prefix: string, id: string): [string, string, unknown?, Record<string, string>?][] => [
      ['GET', `${prefix}/destinations/${id}`],
      ['PUT', `${prefix}/destinations/${id}`, destinationBody({}), { 'if-match': '*' }],
      ['PUT', `${prefix}/destinations/${id}`, destinationBody({})],
      ['DELETE', `${prefix}/destinations/${id}`],
      ['POST', `${prefix}/destinations/${id}/action/restart`],
      ['GET', `${prefix}/destinations/${id}/deadLetters`],
      ['GET', `${prefix}/destinations/${id}/deadLetters?limit=5&after=10`],
      ['POST', `${prefix}/destinations/${id}/action/replay`, { deadLetters: true }],
    ]

    it('every route answers 404 destinations.destination.invalid and changes nothing', async () => {
      const before = await storedRows(t)
      for (const prefix of PREFIXES) {
        for (const id of IDS) {
          for (const [method, url, body, headers] of routes(prefix, id)) {
            const res = await t.request(method as any, url, body, headers)
            expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404)
            expect(res.json(), `${method} ${url}`).toMatchObject({ status: 404, code: 'destinations.destination.invalid' })
          }
        }
      }
      expect(await storedRows(t)).toEqual(before)
    })
  })

  describe('dead letters and replay requests', () => {
    it('deadLetters: an empty page, and limit and after are validated', async () => {
      const { destination } = await create()
      const url = `/v1/destinations/${destination.id}/deadLetters`
      const empty = await t.request('GET', url)
      expect(empty.statusCode).toBe(200)
      expect(empty.json()).toEqual({ deadLetters: [], next: null })
      for (const after of ['x', '-1', '1.5', '1e3', '9'.repeat(16), '']) {
        const res = await t.request('GET', `${url}?after=${encodeURIComponent(after)}`)
        expect(res.statusCode, `after=${after}`).toBe(400)
        expect(res.json().errors, `after=${after}`).toEqual([{ path: 'query.after', message: 'must be a `next` value from an earlier page' }])
      }
      for (const limit of ['0', '1001', 'ten', '-5']) {
        const res = await t.request('GET', `${url}?limit=${limit}`)
        expect(res.statusCode, `limit=${limit}`).toBe(400)
        expect(res.json().errors[0].path, `limit=${limit}`).toBe('query.limit')
      }
    })

    it('replay: deadLetters or from/to, to later than from; anything else is a 400 that changes nothing', async () => {
      const { destination } = await create()
      const url = `/api/v1/destinations/${destination.id}/action/replay`
      const from = '2026-01-01T00:00:00Z'
      const to = '2026-01-02T00:00:00Z'
      const SHAPE = 'must be {"deadLetters": true} or {"from": <date-time>, "to": <date-time>}'
      const cases: [unknown, string, string?][] = [
        [{}, '$', SHAPE],
        [{ deadLetters: false }, '$', SHAPE],
        [{ deadLetters: true, from, to }, '$', SHAPE],
        [{ deadLetters: true, from }, '$', SHAPE],
        [{ from }, '$', SHAPE],
        [{ to }, '$', SHAPE],
        [{ from, to: from }, '$.to', 'must be later than from'],
        [{ from: to, to: from }, '$.to', 'must be later than from'],
        [{ from: 'yesterday', to }, '$.from'],
        [{ from, to: '2026-01-02' }, '$.to'],
        [{ deadLetters: 'yes' }, '$.deadLetters', 'must be a boolean'],
        [{ deadLetters: true, force: true }, '$.force'],
        [[true], '$'],
      ]
      const before = await storedRows(t)
      for (const [body, path, message] of cases) {
        const res = await t.request('POST', url, body)
        expect(res.statusCode, `${JSON.stringify(body)}: ${res.body}`).toBe(400)
        const issue = res.json().errors.find((e: any) => e.path === path)
        expect(issue, `${JSON.stringify(body)}: ${res.body}`).toBeDefined()
        if (message) expect(issue.message).toBe(message)
      }
      expect(await storedRows(t)).toEqual(before)

      const dead = await t.request('POST', url, { deadLetters: true })
      expect(dead.statusCode, dead.body).toBe(202)
      expect(dead.json()).toEqual({ replay: { id: expect.any(Number), kind: 'deadLetters' } })
      const range = await t.request('POST', `/v1/destinations/${destination.id}/action/replay`, { from, to })
      expect(range.statusCode, range.body).toBe(202)
      expect(range.json()).toEqual({ replay: { id: expect.any(Number), kind: 'range' } })
      const stored = await sql<{ id: number; kind: string; from_at: Date | null; to_at: Date | null }>`
        select id, kind, from_at, to_at from destination_replays where destination_id = ${destination.id} order by id`.execute(t.service.database.db)
      expect(stored.rows.map((r) => ({ id: Number(r.id), kind: r.kind, from: r.from_at && new Date(r.from_at).toISOString(), to: r.to_at && new Date(r.to_at).toISOString() }))).toEqual([
        { id: dead.json().replay.id, kind: 'deadLetters', from: null, to: null },
        { id: range.json().replay.id, kind: 'range', from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' },
      ])
    })
  })

  describe('OpenAPI', () => {
    it('documents every destination route and each kind\'s config schema', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/openapi.json' })
      expect(res.statusCode).toBe(200)
      const doc = res.json()
      const paths = doc.paths
      expect(Object.keys(paths['/v1/destinations']).sort()).toEqual(['get', 'post'])
      expect(Object.keys(paths['/v1/destinations/{id}']).sort()).toEqual(['delete', 'get', 'put'])
      expect(Object.keys(paths['/v1/destinations/{id}/action/restart'])).toEqual(['post'])
      expect(Object.keys(paths['/v1/destinations/{id}/deadLetters'])).toEqual(['get'])
      expect(Object.keys(paths['/v1/destinations/{id}/action/replay'])).toEqual(['post'])
      expect(paths['/v1/destinations'].post.responses).toHaveProperty('201')
      expect(paths['/v1/destinations/{id}/action/replay'].post.responses).toHaveProperty('202')
      expect(paths['/v1/destinations/{id}'].put.parameters.map((p: any) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(['path:id', 'header:if-match']))
      expect(paths['/v1/destinations/{id}/deadLetters'].get.parameters.map((p: any) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(['query:limit', 'query:after']))

      const schemas = doc.components.schemas
      const kinds: Record<string, string[]> = {
        SplunkHecConfig: ['url', 'token', 'indexerAck', 'index', 'sourcetype', 'source'],
        ElasticsearchConfig: ['url', 'index', 'apiKey', 'username', 'password'],
        SumoHttpConfig: ['url'],
        WebhookConfig: ['url', 'headers', 'gzip', 'signingKey'],
        FileConfig: ['directory', 'maxFileBytes', 'maxFileAgeSeconds'],
      }
      for (const [name, keys] of Object.entries(kinds)) {
        expect(Object.keys(schemas[name].properties), name).toEqual(keys)
        expect(schemas[name].additionalProperties, name).toBe(false)
      }
      const oneOf = schemas.DestinationInput.properties.config.oneOf.map((s: any) => s.$ref)
      expect(oneOf.sort()).toEqual(Object.keys(kinds).map((k) => `#/components/schemas/${k}`).sort())
      expect(schemas.DestinationInput.properties.type.enum).toEqual(['splunk_hec', 'elasticsearch', 'sumo_http', 'webhook', 'file'])
      expect(Object.keys(schemas.DestinationFilter.properties)).toEqual(['collectorIds', 'sourceIds', 'sourceCategory', 'eventTypes'])
      expect(Object.keys(schemas.Destination.properties)).toEqual(expect.arrayContaining(['id', 'state', 'delivery', 'filter', 'startFrom']))
      expect(Object.keys(schemas.DeliveryInfo.properties)).toEqual(expect.arrayContaining(['lastSuccessAt', 'lagEvents', 'lagSeconds', 'consecutiveFailures', 'deadLetters']))
      expect(schemas.DestinationState.properties.state.enum).toEqual(['Pending', 'Delivering', 'Error', 'Disabled'])
    })
  })
})

// Delivery-backed behaviour of the routes: a real service with its delivery loop, the fake Compliance
// API as the source of events, and fake receivers.
const DELIVERY_ENV = { OPENC2C_DELIVERY_POLL_MS: '50', OPENC2C_DELIVERY_LINGER_MS: '0', OPENC2C_DELIVERY_ACK_POLL_MS: '50', OPENC2C_DELIVERY_ACK_TIMEOUT_SECONDS: '5' }

describe('destinations resource while delivering', () => {
  let c: Collecting
  let sourceId: number
  let expected: Set<string>
  const fakes: { close(): Promise<void> }[] = []
  beforeAll(async () => {
    c = await startCollecting({ env: DELIVERY_ENV })
    c.fake.addGeneratedFiles('AUDIT_LOG', 2, 3)
    sourceId = await c.createSource({ enabledEventType: ['AUDIT'] })
    await c.waitForRun(sourceId)
    expected = c.fake.expectedEventIds('AUDIT_LOG')
    expect(expected.size).toBe(6)
  }, 60_000)
  afterAll(async () => {
    await Promise.all(fakes.map((f) => f.close()))
    await c?.close()
  })

  async function webhook(options: Parameters<typeof startFakeWebhook>[0] = {}): Promise<FakeWebhook> {
    const fake = await startFakeWebhook(options)
    fakes.push(fake)
    return fake
  }

  async function post(fields: Record<string, unknown>) {
    const res = await c.t.request('POST', '/api/v1/destinations', { destination: { name: uniqueName('live'), ...fields } })
    expect(res.statusCode, res.body).toBe(201)
    return res.json().destination
  }

  async function get(id: number) {
    const res = await c.t.request('GET', `/api/v1/destinations/${id}`)
    return { destination: res.json().destination, etag: res.headers.etag as string }
  }

  async function waitForDestination(id: number, check: (d: any) => boolean, what: string) {
    let last: any
    await c.waitFor(async () => check((last = (await get(id)).destination)), `${what} (last: ${JSON.stringify(last)})`)
    return last
  }

  it('a disabled destination shows Disabled and delivers nothing, while an enabled one delivers everything', async () => {
    const on = await webhook()
    const off = await webhook()
    const onId = (await post({ type: 'webhook', config: { url: on.url } })).id
    const disabled = await post({ type: 'webhook', enabled: false, config: { url: off.url } })
    expect(disabled.state).toEqual({ state: 'Disabled' })

    const delivered = await waitForDestination(onId, (d) => d.delivery.lagEvents === 0 && d.delivery.lastSuccessAt !== null, 'the enabled destination to catch up')
    expect(compareDelivery(expected, on)).toEqual({ missing: [], duplicates: [], unexpected: [], withoutId: 0 })
    expect(delivered.state).toEqual({ state: 'Delivering' })
    expect(delivered.delivery).toMatchObject({ lagEvents: 0, lagSeconds: 0, consecutiveFailures: 0, deadLetters: 0, delivering: true })
    expect(Date.parse(delivered.delivery.lastSuccessAt)).toBeGreaterThan(Date.now() - 60_000)

    // The enabled one caught up while the disabled one had the same events to send.
    const { destination: idle, etag } = await get(disabled.id)
    expect(idle.state).toEqual({ state: 'Disabled' })
    expect(idle.delivery).toMatchObject({ lastSuccessAt: null, lagEvents: 6, consecutiveFailures: 0, deadLetters: 0, delivering: false })
    expect(idle.delivery.lagSeconds).toBeGreaterThanOrEqual(0)
    // A restart does not wake a disabled destination either.
    const restart = await c.t.request('POST', `/api/v1/destinations/${disabled.id}/action/restart`)
    expect(restart.statusCode).toBe(200)
    expect(restart.json().destination.state).toEqual({ state: 'Disabled' })
    await new Promise((r) => setTimeout(r, 500))
    expect(off.requests).toEqual([])
    expect((await get(disabled.id)).destination.state).toEqual({ state: 'Disabled' })

    // Enabling it delivers what waited.
    const put = await c.t.request('PUT', `/api/v1/destinations/${disabled.id}`, { destination: { ...inputOf(idle), enabled: true } }, { 'if-match': etag })
    expect(put.statusCode, put.body).toBe(200)
    await waitForDestination(disabled.id, (d) => d.delivery.lagEvents === 0 && d.state.state === 'Delivering', 'the enabled destination to catch up')
    expect(compareDelivery(expected, off)).toEqual({ missing: [], duplicates: [], unexpected: [], withoutId: 0 })
  })

  it('a 401 pauses in Error; restart clears it and delivers at once; an update does too', async () => {
    const hook = await webhook()
    hook.faults.unauthorizedNext(1)
    const id = (await post({ type: 'webhook', config: { url: hook.url } })).id
    const failed = await waitForDestination(id, (d) => d.state.state === 'Error', 'the 401 to show')
    expect(failed.state).toMatchObject({ state: 'Error', errorType: 'DestinationConfig', errorCode: 'http.401' })
    expect(failed.state.errorInfo).toContain('401')
    // Paused: nothing more is sent until the destination is restarted or updated.
    await new Promise((r) => setTimeout(r, 500))
    expect(hook.requests.map((r) => r.status)).toEqual([401])
    expect((await get(id)).destination.state.state).toBe('Error')

    const restart = await c.t.request('POST', `/v1/destinations/${id}/action/restart`)
    expect(restart.statusCode).toBe(200)
    expect(restart.json().destination.state.state).not.toBe('Error')
    expect(restart.json().destination.state.errorType).toBeUndefined()
    await waitForDestination(id, (d) => d.delivery.lagEvents === 0 && d.state.state === 'Delivering', 'delivery after the restart')
    expect(compareDelivery(expected, hook)).toEqual({ missing: [], duplicates: [], unexpected: [], withoutId: 0 })

    // The same through an update: a second destination refused once, then PUT unchanged.
    const hook2 = await webhook()
    hook2.faults.unauthorizedNext(1)
    const id2 = (await post({ type: 'webhook', config: { url: hook2.url } })).id
    await waitForDestination(id2, (d) => d.state.errorType === 'DestinationConfig', 'the 401 to show')
    const { destination, etag } = await get(id2)
    const put = await c.t.request('PUT', `/api/v1/destinations/${id2}`, { destination: inputOf(destination) }, { 'if-match': etag })
    expect(put.statusCode, put.body).toBe(200)
    // The update cleared the error (the delivery loop may already have taken it up again).
    expect(['Pending', 'Delivering']).toContain(put.json().destination.state.state)
    expect(put.json().destination.state.errorType).toBeUndefined()
    await waitForDestination(id2, (d) => d.delivery.lagEvents === 0 && d.state.state === 'Delivering', 'delivery after the update')
    expect(compareDelivery(expected, hook2)).toEqual({ missing: [], duplicates: [], unexpected: [], withoutId: 0 })
  })

  it('a PUT of the masks keeps the header values and signing key: the receiver, which checks them, takes every batch', async () => {
    const headers = { 'X-Api-Key': 'receiver-key-7f3a', Authorization: 'Bearer receiver-token-9c1d' }
    const signingKey = 'receiver-signing-key-2b8e'
    const hook = await webhook({ requiredHeaders: headers, signingKey })
    // Created disabled, so nothing is sent until the masks have been PUT back.
    const created = await post({ type: 'webhook', enabled: false, config: { url: hook.url, headers, signingKey, gzip: true } })
    const { destination, etag } = await get(created.id)
    expect(destination.config).toEqual({ url: hook.url, headers: { 'X-Api-Key': MASK, Authorization: MASK }, signingKey: MASK, gzip: true })
    const put = await c.t.request('PUT', `/api/v1/destinations/${created.id}`, { destination: { ...inputOf(destination), enabled: true } }, { 'if-match': etag })
    expect(put.statusCode, put.body).toBe(200)
    await waitForDestination(created.id, (d) => d.delivery.lagEvents === 0 && d.delivery.lastSuccessAt !== null, 'delivery')
    expect(hook.requests.every((r) => r.status === 200)).toBe(true)
    expect(hook.batches.length).toBeGreaterThan(0)
    expect(hook.batches.every((b) => b.signature === 'valid')).toBe(true)
    expect(hook.violations).toEqual([])
    expect(compareDelivery(expected, hook)).toEqual({ missing: [], duplicates: [], unexpected: [], withoutId: 0 })
  })

  it('an update while a Splunk acknowledgement is pending asks about it again on the same channel, and sends nothing twice', async () => {
    const hec = await startFakeSplunkHec({ acks: true })
    fakes.push(hec)
    // Each acknowledgement comes true 1.5 s after its ack id was issued (the timeout is 5 s).
    hec.ackLateNext(1500, 100)
    const id = (await post({ type: 'splunk_hec', config: { url: hec.url, token: hec.token, indexerAck: true } })).id
    await c.waitFor(async () => hec.acks.length > 0, 'an ack id to be issued')
    const { destination, etag } = await get(id)
    // Sent, not acknowledged: nothing counts as delivered yet.
    expect(destination.delivery.lagEvents).toBe(6)
    const generation = async () => Number((await sql<{ g: number }>`select generation as g from destination_leases where destination_id = ${id}`.execute(c.t.service.database.db)).rows[0]!.g)
    const before = await generation()
    // The update ends the delivery session; the next one starts from what is stored.
    const put = await c.t.request('PUT', `/api/v1/destinations/${id}`, { destination: inputOf(destination) }, { 'if-match': etag })
    expect(put.statusCode, put.body).toBe(200)
    await c.waitFor(async () => (await generation()) > before, 'a new delivery session')
    await waitForDestination(id, (d) => d.delivery.lagEvents === 0, 'the acknowledgement')
    expect(hec.requestsTo('event')).toHaveLength(1)
    expect(new Set(hec.acks.map((a) => a.channel)).size).toBe(1)
    expect(compareDelivery(expected, hec)).toEqual({ missing: [], duplicates: [], unexpected: [], withoutId: 0 })
    expect(hec.violations).toEqual([])
  })

  it('dead letters: what Elasticsearch refused for good, paged with limit/after/next, replayed with 202', async () => {
    const es: FakeElasticsearch = await startFakeElasticsearch()
    fakes.push(es)
    const ids = [...expected].sort()
    const refused = new Set(ids.slice(0, 5))
    es.failItems([...refused].map((id) => stableEventId('ChatGPT Compliance', id)), 'document_parsing')
    const id = (await post({ type: 'elasticsearch', config: { url: es.url, index: 'openc2c', apiKey: es.apiKeyAuthorization.replace(/^ApiKey /, '') } })).id
    const settled = await waitForDestination(id, (d) => d.delivery.lagEvents === 0 && d.delivery.deadLetters === 5, 'the refusals to become dead letters')
    expect(settled.delivery.lastSuccessAt).not.toBeNull()
    expect(es.documentCount('openc2c')).toBe(1)

    // Pages of two: 2 + 2 + 1, each `next` passed back as `after`.
    const seen: any[] = []
    const nexts: (string | null)[] = []
    let after: string | null | undefined
    do {
      const res = await c.t.request('GET', `/api/v1/destinations/${id}/deadLetters?limit=2${after ? `&after=${after}` : ''}`)
      expect(res.statusCode, res.body).toBe(200)
      const page = res.json()
      expect(page.deadLetters.length).toBeLessThanOrEqual(2)
      seen.push(...page.deadLetters)
      nexts.push(page.next)
      after = page.next
    } while (after)
    expect(nexts.map((n) => n === null)).toEqual([false, false, true])
    expect(new Set(seen.map((l) => l.eventId))).toEqual(refused)
    for (const letter of seen) {
      expect(Object.keys(letter).sort()).toEqual(['at', 'eventId', 'reason', 'sourceId'])
      expect(letter.sourceId).toBe(sourceId)
      expect(letter.reason).toContain('document_parsing_exception')
      expect(Number.isNaN(Date.parse(letter.at))).toBe(false)
    }
    const all = (await c.t.request('GET', `/v1/destinations/${id}/deadLetters`)).json()
    expect(all).toEqual({ deadLetters: seen, next: null })

    // A replay of the dead letters: the refusals were one-off, so they are delivered and leave the list.
    const replay = await c.t.request('POST', `/api/v1/destinations/${id}/action/replay`, { deadLetters: true })
    expect(replay.statusCode, replay.body).toBe(202)
    expect(replay.json().replay.kind).toBe('deadLetters')
    await waitForDestination(id, (d) => d.delivery.deadLetters === 0, 'the replay to deliver the dead letters')
    expect((await c.t.request('GET', `/v1/destinations/${id}/deadLetters`)).json()).toEqual({ deadLetters: [], next: null })
    expect(compareDelivery(new Set(ids.map((e) => stableEventId('ChatGPT Compliance', e))), es)).toEqual({ missing: [], duplicates: [], unexpected: [], withoutId: 0 })

    // A time-range replay sends the stored events again; Elasticsearch answers 409 and still holds each once.
    const requestsBefore = es.bulkRequests.length
    const range = await c.t.request('POST', `/api/v1/destinations/${id}/action/replay`, { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() })
    expect(range.statusCode, range.body).toBe(202)
    await c.waitFor(async () => {
      const rows = await sql`select 1 from destination_replays where destination_id = ${id}`.execute(c.t.service.database.db)
      return rows.rows.length === 0
    }, 'the range replay to finish')
    const resent = es.bulkRequests.slice(requestsBefore).flatMap((r) => r.items)
    expect(new Set(resent.map((i) => i.id))).toEqual(new Set(ids.map((e) => stableEventId('ChatGPT Compliance', e))))
    expect(resent.every((i) => i.status === 409)).toBe(true)
    expect(es.documentCount('openc2c')).toBe(6)
    expect((await get(id)).destination.delivery.deadLetters).toBe(0)
  })
})
