// openc2c_destination's other kind blocks through the real terraform CLI, each pointed at its fake
// receiver (Elasticsearch, Sumo HTTP, webhook) or at a folder (file), against the real service collecting
// from the fake Compliance API. The fakes check credentials: the Elasticsearch user or API key, the Sumo
// URL's code, the webhook's X-Api-Key header and body signature. Covers every write-only secret, a
// secret the service lost (drift), a change of authentication, and the attributes that force replacement.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stableEventId } from '../../../api/destinations/wire.js'
import { startFakeCompliance, type FakeCompliance } from '../../fakes/chatgpt/index.js'
import {
  compareDelivery,
  startFakeElasticsearch,
  startFakeSumoHttp,
  startFakeWebhook,
  type DeliveredEventsSource,
  type FakeElasticsearch,
  type FakeSumoHttp,
  type FakeWebhook,
} from '../../fakes/receivers/index.js'
import { FAST_RUNTIME_ENV } from '../../helpers/collecting.js'
import { startService, type RunningService } from '../../helpers/service.js'
import { builtProvider } from '../helpers/built-provider.js'
import { ServiceApi } from '../helpers/service-api.js'
import { startReattachedProvider, TerraformWorkspace, type ReattachedProvider } from '../helpers/terraform.js'
import { terraformGate } from '../helpers/terraform-gate.js'

const SOURCE_TYPE = 'ChatGPT Compliance'
// Header values are tokens without spaces (the contract's pattern), so not `Bearer <token>`.
const HOOK_KEY = 'hook-secret-0123456789'
const SIGNING_KEY = 'signing-key-0123456789abcdef'
const DELIVERY_ENV = { OPENC2C_DELIVERY_POLL_MS: '50', OPENC2C_DELIVERY_LINGER_MS: '0' }

function configuration(fakes: { es: FakeElasticsearch; sumo: FakeSumoHttp; hook: FakeWebhook }, directory: string): string {
  return `terraform {
  required_providers {
    openc2c = { source = "openc2c/openc2c" }
  }
}
provider "openc2c" {}

variable "api_key" {
  type      = string
  sensitive = true
  ephemeral = true
}
variable "workspace_id" { type = string }
variable "es_password" {
  type      = string
  sensitive = true
  ephemeral = true
}
variable "es_api_key" {
  type      = string
  sensitive = true
  ephemeral = true
}
variable "sumo_url" {
  type      = string
  sensitive = true
  ephemeral = true
}
variable "hook_key" {
  type      = string
  sensitive = true
  ephemeral = true
}
variable "hook_signing_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "openc2c_collector" "c" {
  name = "kinds"
}

resource "openc2c_chatgpt_compliance_source" "s" {
  collector_id       = openc2c_collector.c.id
  name               = "kinds"
  category           = "chatgpt/audit"
  workspace_id       = var.workspace_id
  api_key_wo         = var.api_key
  api_key_wo_version = 1
  event_types        = ["AUDIT"]
}

resource "openc2c_destination" "es" {
  name               = "es"
  type               = "elasticsearch"
  secrets_wo_version = 1
  elasticsearch {
    url         = "${fakes.es.url}"
    index       = "audit"
    username    = "${fakes.es.username}"
    password_wo = var.es_password
  }
}

resource "openc2c_destination" "sumo" {
  name               = "sumo"
  type               = "sumo_http"
  secrets_wo_version = 1
  sumo_http {
    url_wo = var.sumo_url
  }
  filter {
    source_category = "chatgpt*"
  }
}

resource "openc2c_destination" "hook" {
  name               = "hook"
  type               = "webhook"
  secrets_wo_version = 1
  webhook {
    url            = "${fakes.hook.url}"
    gzip           = true
    headers_wo     = { "X-Api-Key" = var.hook_key }
    signing_key_wo = var.hook_signing_key
  }
}

resource "openc2c_destination" "files" {
  name = "files"
  type = "file"
  file {
    directory            = "${directory}"
    max_file_age_seconds = 1
  }
}
`
}

const enabled = terraformGate('destination kinds e2e')

describe.skipIf(!enabled)('openc2c_destination of every other kind, delivering to fake receivers', () => {
  let fake: FakeCompliance
  let es: FakeElasticsearch
  let sumo: FakeSumoHttp
  let hook: FakeWebhook
  let folder: string
  let service: RunningService
  let provider: ReattachedProvider
  let ws: TerraformWorkspace
  let api: ServiceApi
  let expected = new Set<string>()

  const vars = (): NodeJS.ProcessEnv => ({
    TF_VAR_workspace_id: fake.workspaceId,
    TF_VAR_api_key: fake.apiKey,
    TF_VAR_es_password: es.password,
    TF_VAR_es_api_key: es.apiKey,
    TF_VAR_sumo_url: sumo.url,
    TF_VAR_hook_key: HOOK_KEY,
    TF_VAR_hook_signing_key: SIGNING_KEY,
  })
  const secrets = (): string[] => [es.password, es.apiKey, sumo.code, HOOK_KEY, SIGNING_KEY]
  const edit = async (from: string, to: string): Promise<void> => {
    const text = await ws.read('main.tf')
    if (!text.includes(from)) throw new Error(`main.tf has no ${from}`)
    await ws.write('main.tf', text.replace(from, to))
  }
  const eventually = async (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  const attributes = (name: string) => ws.attributes('openc2c_destination', name)
  const wire = async (name: string): Promise<any> => (await api.getDestination(String((await attributes(name)).id))).body.destination
  const missing = (ids: Set<string>, receiver: DeliveredEventsSource): string[] => compareDelivery(ids, receiver).missing
  const esIds = (): Set<string> => new Set([...expected].map((id) => stableEventId(SOURCE_TYPE, id)))
  const fileIds = async (): Promise<Set<string>> => {
    const ids = new Set<string>()
    const directory = join(folder, 'out')
    const names = await readdir(directory).catch(() => [] as string[])
    // Closed files only: a file is renamed to its final name once complete.
    for (const name of names.filter((n) => !n.startsWith('.'))) {
      for (const line of (await readFile(join(directory, name), 'utf8')).split('\n').filter(Boolean)) ids.add((JSON.parse(line) as { id: string }).id)
    }
    return ids
  }
  /** After an update the service restarts delivery with the new settings, within half a second; the state
   * leaves Pending once it has. Events collected before that may still go out with the old settings. */
  const deliveringWithNewSettings = async (name: string): Promise<void> => {
    await eventually(async () => (await wire(name)).state.state !== 'Pending', `${name} delivering with its new settings`)
  }
  const expectNoChanges = async (): Promise<void> => {
    const plan = await ws.run(['plan', '-detailed-exitcode'], vars())
    expect(plan.code, `${plan.stdout}\n${plan.stderr}`).toBe(0)
  }
  const collectMore = async (): Promise<Set<string>> => {
    const before = fake.expectedEventIds('AUDIT_LOG')
    fake.addGeneratedFiles('AUDIT_LOG', 1, 5)
    const added = new Set([...fake.expectedEventIds('AUDIT_LOG')].filter((id) => !before.has(id)))
    const source = await ws.attributes('openc2c_chatgpt_compliance_source', 's')
    expect((await api.request('POST', `collectors/${source.collector_id}/sources/${source.id}/action/restart`)).status).toBe(200)
    for (const id of added) expected.add(id)
    return added
  }

  beforeAll(async () => {
    fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
    fake.addGeneratedFiles('AUDIT_LOG', 2, 10)
    expected = new Set(fake.expectedEventIds('AUDIT_LOG'))
    ;[es, sumo, hook] = await Promise.all([startFakeElasticsearch(), startFakeSumoHttp(), startFakeWebhook({ signingKey: SIGNING_KEY, requiredHeaders: { 'X-Api-Key': HOOK_KEY } })])
    folder = await mkdtemp(join(tmpdir(), 'openc2c-tf-files-'))
    const [built, started] = await Promise.all([builtProvider(), startService({ env: { ...FAST_RUNTIME_ENV, ...DELIVERY_ENV, OPENC2C_CHATGPT_BASE_URL: fake.baseUrl } })])
    service = started
    api = new ServiceApi(service)
    provider = await startReattachedProvider(built, service)
    ws = await TerraformWorkspace.create({ provider: built, service, reattach: provider, files: { 'main.tf': configuration({ es, sumo, hook }, join(folder, 'out')) } })
    await ws.expect(['init'], 0)
  })

  afterAll(async () => {
    if (fake && es && sumo) await ws?.run(['destroy', '-auto-approve'], vars())
    await ws?.remove()
    await provider?.stop()
    await service?.destroy()
    for (const receiver of [es, sumo, hook]) await receiver?.close()
    await fake?.close()
    if (folder) await rm(folder, { recursive: true, force: true })
  })

  it('creates one destination per kind; no secret reaches plan or state, and every receiver gets every event', async () => {
    const plan = await ws.expect(['plan', '-out', 'tfplan'], 0, vars())
    expect(plan.stdout).toContain('Plan: 6 to add, 0 to change, 0 to destroy.')
    const shown = (await ws.expect(['show', '-json', 'tfplan'], 0, vars())).stdout
    for (const secret of secrets()) expect(shown).not.toContain(secret)
    await ws.expect(['apply', '-auto-approve'], 0, vars())
    const state = await ws.read('terraform.tfstate')
    for (const secret of secrets()) expect(state).not.toContain(secret)

    expect(await attributes('es')).toMatchObject({ stored_secrets: ['elasticsearch.password_wo'], elasticsearch: { username: es.username, password_wo: null, api_key_wo: null } })
    expect(await attributes('sumo')).toMatchObject({ stored_secrets: ['sumo_http.url_wo'], sumo_http: { url_wo: null }, filter: { source_category: 'chatgpt*' } })
    expect(await attributes('hook')).toMatchObject({ stored_secrets: ['webhook.headers_wo.X-Api-Key', 'webhook.signing_key_wo'], webhook: { gzip: true, headers_wo: null } })
    expect(await attributes('files')).toMatchObject({ stored_secrets: [], secrets_wo_version: null, file: { max_file_age_seconds: 1, max_file_bytes: null } })
    expect((await wire('es')).config).toEqual({ url: es.url, index: 'audit', username: es.username, password: '********' })
    expect((await wire('sumo')).config).toEqual({ url: '********' })
    expect((await wire('hook')).config).toEqual({ url: hook.url, gzip: true, headers: { 'X-Api-Key': '********' }, signingKey: '********' })

    await eventually(async () => missing(esIds(), es).length === 0, 'every event in Elasticsearch')
    await eventually(() => missing(expected, sumo).length === 0, 'every event at the Sumo source')
    await eventually(() => missing(expected, hook).length === 0, 'every event at the webhook')
    await eventually(async () => {
      const ids = await fileIds()
      return [...expected].every((id) => ids.has(id))
    }, 'every event in the files')
    expect(new Set(hook.batches.map((b) => b.signature))).toEqual(new Set(['valid']))
    for (const receiver of [es, sumo, hook]) expect(receiver.violations).toEqual([])
    await expectNoChanges()
  }, 180_000)

  it('switches Elasticsearch from a password to an API key: the key is sent because the service holds none', async () => {
    await edit('    username    = "' + es.username + '"\n    password_wo = var.es_password\n', '    api_key_wo  = var.es_api_key\n')
    const plan = await ws.expect(['plan'], 0, vars())
    expect(plan.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.')
    expect(plan.stdout).toMatch(/- "elasticsearch\.password_wo"/)
    expect(plan.stdout).toMatch(/\+ "elasticsearch\.api_key_wo"/)
    await ws.expect(['apply', '-auto-approve'], 0, vars())
    expect((await wire('es')).config).toEqual({ url: es.url, index: 'audit', apiKey: '********' })
    await deliveringWithNewSettings('es')
    const before = es.requestsTo('bulk', 401).length
    await collectMore()
    await eventually(() => missing(esIds(), es).length === 0, 'the new events in Elasticsearch')
    expect(es.requestsTo('bulk', 401).length).toBe(before)
    expect(es.requests.filter((r) => r.route === 'bulk').at(-1)?.headers.authorization).toBe('ApiKey [redacted]')
    await expectNoChanges()
  }, 180_000)

  it('sees a secret removed behind its back, and sends it again', async () => {
    const id = (await attributes('hook')).id as string
    // Someone drops the X-Api-Key header in the API: the webhook now refuses every batch.
    await api.changeDestination(id, (d) => ({ ...d, config: { ...d.config, headers: {} } }))
    await deliveringWithNewSettings('hook')
    const drift = await ws.expect(['plan'], 0, vars())
    expect(drift.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.')
    expect(drift.stdout).toMatch(/\+ "webhook\.headers_wo\.X-Api-Key"/)
    await collectMore()
    await eventually(async () => (await wire('hook')).state.errorType === 'DestinationConfig', 'the webhook refusing the destination')
    expect(hook.requestsTo('ingest', 401).length).toBeGreaterThan(0)

    await ws.expect(['apply', '-auto-approve'], 0, vars())
    expect((await wire('hook')).config.headers).toEqual({ 'X-Api-Key': '********' })
    await eventually(() => missing(expected, hook).length === 0, 'the held-back events at the webhook')
    await expectNoChanges()
  }, 180_000)

  it('replaces a destination whose type or start_from changes, and updates the rest in place', async () => {
    const [sumoBefore, filesBefore] = [(await attributes('sumo')).id, (await attributes('files')).id]
    await edit('  sumo_http {', '  start_from         = "now"\n  sumo_http {')
    await edit('    max_file_age_seconds = 1\n', '    max_file_age_seconds = 1\n    max_file_bytes       = 65536\n')
    const plan = await ws.expect(['plan'], 0, vars())
    expect(plan.stdout).toMatch(/start_from += "earliest" -> "now" # forces replacement/)
    expect(plan.stdout).toContain('Plan: 1 to add, 1 to change, 1 to destroy.')
    await ws.expect(['apply', '-auto-approve'], 0, vars())
    expect((await attributes('sumo')).id).not.toBe(sumoBefore)
    expect((await attributes('files')).id).toBe(filesBefore)
    expect((await wire('sumo')).startFrom).toBe('now')
    expect((await wire('files')).config).toMatchObject({ maxFileBytes: 65536 })
    await expectNoChanges()

    await edit('  type = "file"\n  file {\n', '  type = "webhook"\n  webhook {\n    url = "' + hook.url + '"\n  }\n  file {\n')
    const wrong = await ws.expect(['validate'], 1)
    expect(wrong.stderr).toMatch(/Unexpected file block/)
    const text = await ws.read('main.tf')
    await ws.write('main.tf', text.replace(/  file \{\n[^}]*\}\n/, ''))
    const replace = await ws.expect(['plan'], 0, vars())
    expect(replace.stdout).toMatch(/type += "file" -> "webhook" # forces replacement/)
    await ws.expect(['apply', '-auto-approve'], 0, vars())
    expect((await attributes('files')).id).not.toBe(filesBefore)
    expect((await api.getDestination(String(filesBefore))).status).toBe(404)
    expect((await wire('files')).type).toBe('webhook')
  }, 180_000)

  it('disables and destroys', async () => {
    await edit('  name = "files"\n', '  name    = "files"\n  enabled = false\n')
    await ws.expect(['apply', '-auto-approve'], 0, vars())
    await eventually(async () => (await wire('files')).state.state === 'Disabled', 'the destination disabled')
    const ids = await Promise.all(['es', 'sumo', 'hook', 'files'].map(async (name) => String((await attributes(name)).id)))
    await ws.expect(['destroy', '-auto-approve'], 0, vars())
    for (const id of ids) expect((await api.getDestination(id)).status).toBe(404)
  }, 120_000)
})
