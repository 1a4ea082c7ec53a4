// examples/terraform/main.tf (a collector and the typed ChatGPT Compliance source with a write-only key)
// plus the data source, through the real terraform CLI. The provider runs in reattach mode (one
// `--debug` process, TF_REATTACH_PROVIDERS) to keep the many commands fast; sumo-port.e2e.test.ts covers
// Terraform's own launch of the provider.

import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startService, type RunningService } from '../../helpers/service.js'
import { builtProvider, REPO_ROOT } from '../helpers/built-provider.js'
import { ServiceApi } from '../helpers/service-api.js'
import { startReattachedProvider, TerraformWorkspace, type ReattachedProvider } from '../helpers/terraform.js'
import { terraformGate } from '../helpers/terraform-gate.js'

const SOURCE = 'openc2c_chatgpt_compliance_source'
const API_KEY = 'sk-proj-e2e-first-key-0123456789'
const ROTATED_KEY = 'sk-proj-e2e-rotated-key-9876543210'
const vars = (key = API_KEY, version = 1): NodeJS.ProcessEnv => ({
  TF_VAR_chatgpt_workspace_id: 'ws-e2e-0001',
  TF_VAR_chatgpt_api_key: key,
  TF_VAR_chatgpt_api_key_version: String(version),
})

const enabled = terraformGate('typed resources e2e')

describe.skipIf(!enabled)('typed ChatGPT Compliance source, collector and data source (reattach mode)', () => {
  let service: RunningService
  let provider: ReattachedProvider
  let ws: TerraformWorkspace
  let api: ServiceApi

  const ids = async (): Promise<{ collectorId: string; sourceId: string }> => {
    const source = await ws.attributes(SOURCE, 'workspace')
    return { collectorId: String(source.collector_id), sourceId: String(source.id) }
  }
  const edit = async (from: string, to: string): Promise<void> => {
    const text = await ws.read('main.tf')
    if (!text.includes(from)) throw new Error(`main.tf has no ${from}`)
    await ws.write('main.tf', text.replace(from, to))
  }

  beforeAll(async () => {
    const [built, started] = await Promise.all([builtProvider(), startService({ env: { OPENC2C_SCHEDULER: 'off' } })])
    service = started
    api = new ServiceApi(service)
    provider = await startReattachedProvider(built, service)
    ws = await TerraformWorkspace.create({ provider: built, service, reattach: provider, files: { 'main.tf': await readExample() } })
  })

  afterAll(async () => {
    await ws?.run(['destroy', '-auto-approve'], vars())
    await ws?.remove()
    await provider?.stop()
    await service?.destroy()
  })

  it('rejects invalid settings at validate time, naming the attribute', async () => {
    await ws.expect(['init'], 0)
    await edit('polling_interval_hours = 1', 'polling_interval_hours = 48')
    const result = await ws.expect(['validate'], 1)
    expect(result.stderr).toMatch(/Invalid polling_interval_hours/)
    expect(result.stderr).toMatch(/polling_interval_hours = 48/) // Terraform quotes the offending line
    await edit('polling_interval_hours = 48', 'polling_interval_hours = 1')
    await ws.expect(['validate'], 0)
  })

  it('plans and applies; the write-only key reaches neither plan nor state', async () => {
    const plan = await ws.expect(['plan', '-detailed-exitcode', '-out', 'tfplan'], 2, vars())
    expect(plan.stdout).toContain('Plan: 2 to add, 0 to change, 0 to destroy.')
    const shown = await ws.expect(['show', '-json', 'tfplan'], 0, vars())
    expect(shown.stdout).not.toContain(API_KEY)
    await ws.expect(['apply', '-auto-approve'], 0, vars())
    expect(await ws.read('terraform.tfstate')).not.toContain(API_KEY)
    const source = await ws.attributes(SOURCE, 'workspace')
    expect(source).toMatchObject({ api_key_wo: null, api_key: null, api_key_wo_version: 1, polling_interval_hours: 1, state: 'Pending' })
    const { collectorId, sourceId } = await ids()
    const wire = (await api.getSource(collectorId, sourceId)).body.source
    expect(wire.config).toEqual({
      name: 'chatgpt-compliance',
      category: 'chatgpt/compliance',
      fields: { _siemForward: true },
      workspaceID: 'ws-e2e-0001',
      apiKey: '********',
      pollingIntervalHour: '1h',
      enabledEventType: ['CONVERSATION', 'AUDIT', 'AUTH'],
    })
    const collector = (await api.getCollector(collectorId)).body.collector
    expect(collector).toMatchObject({ name: 'chatgpt-enterprise', category: 'chatgpt', timeZone: 'UTC', fields: { team: 'security' } })
  })

  it('plans nothing right after apply', async () => {
    await ws.expect(['plan', '-detailed-exitcode'], 0, vars())
  })

  it('updates in place: polling interval, event types, collector name', async () => {
    await edit('polling_interval_hours = 1', 'polling_interval_hours = 6')
    await edit('name        = "chatgpt-enterprise"', 'name        = "chatgpt-enterprise-eu"')
    const env = { ...vars(), TF_VAR_event_types: '["CONVERSATION","CODEX"]' }
    const plan = await ws.expect(['plan', '-detailed-exitcode'], 2, env)
    expect(plan.stdout).toContain('Plan: 0 to add, 2 to change, 0 to destroy.')
    await ws.expect(['apply', '-auto-approve'], 0, env)
    const { collectorId, sourceId } = await ids()
    const wire = (await api.getSource(collectorId, sourceId)).body.source
    expect(wire.config).toMatchObject({ pollingIntervalHour: '6h', enabledEventType: ['CONVERSATION', 'CODEX'] })
    expect((await api.getCollector(collectorId)).body.collector.name).toBe('chatgpt-enterprise-eu')
    await ws.expect(['plan', '-detailed-exitcode'], 0, env)
    await edit('default     = ["CONVERSATION", "AUDIT", "AUTH"]', 'default     = ["CONVERSATION", "CODEX"]')
    await ws.expect(['plan', '-detailed-exitcode'], 0, vars())
  })

  it('sends a new key only when api_key_wo_version changes', async () => {
    // A new key with the same version: Terraform cannot see it (it is stored nowhere), nothing to do.
    await ws.expect(['plan', '-detailed-exitcode'], 0, vars(ROTATED_KEY, 1))
    const plan = await ws.expect(['plan', '-detailed-exitcode'], 2, vars(ROTATED_KEY, 2))
    expect(plan.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.')
    expect(plan.stdout).not.toContain(ROTATED_KEY)
    await ws.expect(['apply', '-auto-approve'], 0, vars(ROTATED_KEY, 2))
    expect(await ws.read('terraform.tfstate')).not.toContain(ROTATED_KEY)
    expect((await ws.attributes(SOURCE, 'workspace')).api_key_wo_version).toBe(2)
    await ws.expect(['plan', '-detailed-exitcode'], 0, vars(ROTATED_KEY, 2))
  })

  it('replaces the source when it moves to another collector', async () => {
    const before = await ids()
    await ws.write('other.tf', 'resource "openc2c_collector" "other" {\n  name = "chatgpt-other"\n}\n')
    await edit('collector_id           = openc2c_collector.chatgpt.id', 'collector_id           = openc2c_collector.other.id')
    const plan = await ws.expect(['plan', '-detailed-exitcode'], 2, vars(ROTATED_KEY, 2))
    expect(plan.stdout).toMatch(/collector_id .* # forces replacement/)
    await ws.expect(['apply', '-auto-approve'], 0, vars(ROTATED_KEY, 2))
    const after = await ids()
    expect(after.collectorId).not.toBe(before.collectorId)
    expect((await api.getSource(before.collectorId, before.sourceId)).status).toBe(404)
    await ws.expect(['plan', '-detailed-exitcode'], 0, vars(ROTATED_KEY, 2))
  })

  it('shows changes made outside Terraform and a deleted source as a re-create', async () => {
    const { collectorId, sourceId } = await ids()
    await api.changeSourceConfig(collectorId, sourceId, (config) => ({ ...config, pollingIntervalHour: '12h', enabledEventType: ['AUDIT'] }))
    const drift = await ws.expect(['plan', '-detailed-exitcode'], 2, vars(ROTATED_KEY, 2))
    expect(drift.stdout).toMatch(/~ polling_interval_hours = 12 -> 6/)
    await ws.expect(['apply', '-auto-approve'], 0, vars(ROTATED_KEY, 2))
    expect((await api.getSource(collectorId, sourceId)).body.source.config.pollingIntervalHour).toBe('6h')

    await api.deleteSource(collectorId, sourceId)
    const recreate = await ws.expect(['plan', '-detailed-exitcode'], 2, vars(ROTATED_KEY, 2))
    expect(recreate.stdout).toContain('Plan: 1 to add, 0 to change, 0 to destroy.')
    await ws.expect(['apply', '-auto-approve'], 0, vars(ROTATED_KEY, 2))
    await ws.expect(['plan', '-detailed-exitcode'], 0, vars(ROTATED_KEY, 2))
  })

  it('imports the source and the collectors (by id and by name)', async () => {
    const { collectorId, sourceId } = await ids()
    const chatgptCollector = String((await ws.attributes('openc2c_collector', 'chatgpt')).id)
    await ws.expect(['state', 'rm', `${SOURCE}.workspace`, 'openc2c_collector.other', 'openc2c_collector.chatgpt'], 0)
    await ws.expect(['import', `${SOURCE}.workspace`, `${collectorId}/${sourceId}`], 0, vars(ROTATED_KEY, 2))
    await ws.expect(['import', 'openc2c_collector.other', collectorId], 0, vars(ROTATED_KEY, 2))
    await ws.expect(['import', 'openc2c_collector.chatgpt', 'chatgpt-enterprise-eu'], 0, vars(ROTATED_KEY, 2))
    expect(String((await ws.attributes('openc2c_collector', 'chatgpt')).id)).toBe(chatgptCollector)
    // Only the key's version is unknown after an import: the service never returns the key.
    const plan = await ws.expect(['plan', '-detailed-exitcode'], 2, vars(ROTATED_KEY, 2))
    expect(plan.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.')
    expect(plan.stdout).toMatch(/\+ api_key_wo_version += 2/)
    await ws.expect(['apply', '-auto-approve'], 0, vars(ROTATED_KEY, 2))
    await ws.expect(['plan', '-detailed-exitcode'], 0, vars(ROTATED_KEY, 2))
  })

  it('shows a collector changed outside Terraform, and replaces it on request (its source follows)', async () => {
    const before = String((await ws.attributes('openc2c_collector', 'other')).id)
    await api.changeCollector(before, (collector) => ({ ...collector, description: 'changed in the UI' }))
    const drift = await ws.expect(['plan', '-detailed-exitcode'], 2, vars(ROTATED_KEY, 2))
    expect(drift.stdout).toMatch(/- description = "changed in the UI" -> null/)
    await ws.expect(['apply', '-auto-approve'], 0, vars(ROTATED_KEY, 2))
    expect((await api.getCollector(before)).body.collector.description ?? '').toBe('')

    const replace = await ws.expect(['apply', '-auto-approve', '-replace=openc2c_collector.other'], 0, vars(ROTATED_KEY, 2))
    expect(replace.stdout).toContain('Apply complete! Resources: 2 added, 0 changed, 2 destroyed.')
    const after = await ids()
    expect(after.collectorId).not.toBe(before)
    expect((await api.getCollector(before)).status).toBe(404)
    await ws.expect(['plan', '-detailed-exitcode'], 0, vars(ROTATED_KEY, 2))
  })

  it('turns an API error into a diagnostic on the attribute the API names', async () => {
    await ws.write(
      'duplicate.tf',
      [
        'resource "openc2c_chatgpt_compliance_source" "duplicate" {',
        '  collector_id   = openc2c_collector.other.id',
        '  name           = "chatgpt-compliance"',
        '  workspace_id   = "ws-e2e-0002"',
        '  api_key        = "sk-duplicate"',
        '}',
        '',
      ].join('\n'),
    )
    const result = await ws.expect(['apply', '-auto-approve'], 1, vars(ROTATED_KEY, 2))
    expect(result.stderr).toMatch(/Creating the ChatGPT Compliance source: must be unique/)
    expect(result.stderr).toMatch(/A source named "chatgpt-compliance" already exists/)
    expect(result.stderr).toMatch(/name +=\s*"chatgpt-compliance"/) // the attribute line the path points at
    expect(result.stderr).toMatch(/collectors\.validation\.name\.duplicate/)
    await ws.write('duplicate.tf', '')
  })

  it('looks a collector up by name with the data source', async () => {
    await ws.write('lookup.tf', 'data "openc2c_collector" "by_name" {\n  name = "chatgpt-other"\n}\noutput "looked_up" {\n  value = data.openc2c_collector.by_name.id\n}\n')
    await ws.expect(['apply', '-auto-approve'], 0, vars(ROTATED_KEY, 2))
    const output = await ws.expect(['output', '-raw', 'looked_up'], 0)
    expect(output.stdout.trim()).toBe(String((await ws.attributes('openc2c_collector', 'other')).id))
    await ws.write('lookup.tf', 'data "openc2c_collector" "missing" {\n  name = "no-such-collector"\n}\n')
    const missing = await ws.expect(['plan'], 1, vars(ROTATED_KEY, 2))
    expect(missing.stderr).toMatch(/Collector not found/)
    await ws.write('lookup.tf', '')
  })

  it('destroys everything', async () => {
    const { collectorId, sourceId } = await ids()
    await ws.expect(['destroy', '-auto-approve'], 0, vars(ROTATED_KEY, 2))
    expect((await api.getSource(collectorId, sourceId)).status).toBe(404)
    expect((await api.getCollector(collectorId)).status).toBe(404)
  })
})

async function readExample(): Promise<string> {
  const { readFile } = await import('node:fs/promises')
  return readFile(join(REPO_ROOT, 'examples/terraform/main.tf'), 'utf8')
}
