// The write-only API key end to end: Terraform → provider → service → upstream. The service runs its
// scheduler against the fake Compliance Logs Platform, which answers 401 to any key but its own. A source
// created with a wrong key ends in Error; raising api_key_wo_version with the right key makes it collect.
// A new key without a new version changes nothing, since Terraform never stored the old one.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeCompliance, type FakeCompliance } from '../../fakes/chatgpt/index.js'
import { FAST_RUNTIME_ENV } from '../../helpers/collecting.js'
import { startService, type RunningService } from '../../helpers/service.js'
import { builtProvider } from '../helpers/built-provider.js'
import { ServiceApi } from '../helpers/service-api.js'
import { startReattachedProvider, TerraformWorkspace, type ReattachedProvider } from '../helpers/terraform.js'
import { terraformGate } from '../helpers/terraform-gate.js'

const CONFIG = `terraform {
  required_providers {
    openc2c = { source = "openc2c/openc2c" }
  }
}
provider "openc2c" {}
variable "workspace_id" { type = string }
variable "api_key" {
  type      = string
  sensitive = true
  ephemeral = true
}
variable "api_key_version" { type = number }
resource "openc2c_collector" "c" {
  name = "rotation"
}
resource "openc2c_chatgpt_compliance_source" "s" {
  collector_id       = openc2c_collector.c.id
  name               = "rotation"
  workspace_id       = var.workspace_id
  api_key_wo         = var.api_key
  api_key_wo_version = var.api_key_version
  event_types        = ["AUDIT"]
}
`

const enabled = terraformGate('key rotation e2e')

describe.skipIf(!enabled)('write-only API key rotation, checked at the upstream', () => {
  let fake: FakeCompliance
  let service: RunningService
  let provider: ReattachedProvider
  let ws: TerraformWorkspace
  let api: ServiceApi
  const vars = (key: string, version: number): NodeJS.ProcessEnv => ({ TF_VAR_workspace_id: fake.workspaceId, TF_VAR_api_key: key, TF_VAR_api_key_version: String(version) })

  const sourceState = async (): Promise<string> => {
    const attributes = await ws.attributes('openc2c_chatgpt_compliance_source', 's')
    return (await api.getSource(String(attributes.collector_id), String(attributes.id))).body.source.state.state
  }
  const waitForState = async (wanted: (state: string) => boolean, what: string): Promise<string> => {
    const deadline = Date.now() + 30_000
    for (;;) {
      const state = await sourceState()
      if (wanted(state)) return state
      if (Date.now() > deadline) throw new Error(`source never became ${what}; last state ${state}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }

  beforeAll(async () => {
    fake = await startFakeCompliance()
    fake.addGeneratedFiles('AUDIT_LOG', 1, 5)
    const [built, started] = await Promise.all([builtProvider(), startService({ env: { ...FAST_RUNTIME_ENV, OPENC2C_CHATGPT_BASE_URL: fake.baseUrl } })])
    service = started
    api = new ServiceApi(service)
    provider = await startReattachedProvider(built, service)
    ws = await TerraformWorkspace.create({ provider: built, service, reattach: provider, files: { 'main.tf': CONFIG } })
    await ws.expect(['init'], 0)
  })

  afterAll(async () => {
    await ws?.run(['destroy', '-auto-approve'], fake ? vars('x', 9) : {})
    await ws?.remove()
    await provider?.stop()
    await service?.destroy()
    await fake?.close()
  })

  it('a wrong key reaches the upstream and the source ends in Error', async () => {
    await ws.expect(['apply', '-auto-approve'], 0, vars('sk-proj-wrong-key', 1))
    await waitForState((state) => state === 'Error', 'Error')
    expect(fake.requestsTo('list', 401).length).toBeGreaterThan(0)
    expect(fake.requestsTo('list', 200)).toHaveLength(0)
    // The state moved on the service; a computed attribute changing is no reason to plan anything.
    await ws.expect(['plan', '-detailed-exitcode'], 0, vars('sk-proj-wrong-key', 1))
  })

  it('a new key alone is invisible to Terraform: nothing to do', async () => {
    await ws.expect(['plan', '-detailed-exitcode'], 0, vars(fake.apiKey, 1))
  })

  it('a new api_key_wo_version sends the new key, and the source collects', async () => {
    fake.resetRequests()
    const plan = await ws.expect(['plan', '-detailed-exitcode'], 2, vars(fake.apiKey, 2))
    expect(plan.stdout).toMatch(/~ api_key_wo_version += 1 -> 2/)
    await ws.expect(['apply', '-auto-approve'], 0, vars(fake.apiKey, 2))
    await waitForState((state) => state === 'Collecting', 'Collecting')
    expect(fake.requestsTo('list', 200).length).toBeGreaterThan(0)
    expect(fake.requestsTo('list', 401)).toHaveLength(0)
    expect(await ws.read('terraform.tfstate')).not.toContain(fake.apiKey)
  })

  it('other updates keep the stored key (the provider sends the mask)', async () => {
    await ws.write('main.tf', CONFIG.replace('event_types        = ["AUDIT"]', 'event_types        = ["AUDIT", "AUTH"]'))
    await ws.expect(['apply', '-auto-approve'], 0, vars('sk-proj-not-sent', 2))
    // An update does not start a run by itself (the next one is an hour away); the restart action does.
    const attributes = await ws.attributes('openc2c_chatgpt_compliance_source', 's')
    fake.resetRequests()
    const restart = await api.request('POST', `collectors/${attributes.collector_id}/sources/${attributes.id}/action/restart`)
    expect(restart.status).toBe(200)
    const deadline = Date.now() + 30_000
    while (fake.requestsTo('list').length === 0) {
      if (Date.now() > deadline) throw new Error('the restarted source never called the upstream')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(fake.requestsTo('list', 401)).toHaveLength(0)
    expect(fake.requestsTo('list', 200).length).toBeGreaterThan(0)
  })
})
