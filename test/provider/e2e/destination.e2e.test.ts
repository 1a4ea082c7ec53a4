// examples/terraform as a whole (main.tf: a collector and a ChatGPT Compliance source; destination.tf: a
// Splunk HEC destination of their audit and sign-in events) through the real terraform CLI, against the
// real service with its scheduler on, the fake Compliance API upstream and the fake Splunk HEC receiving.
// The fake HEC accepts one token: which token the service sends shows in what it stores and what it
// refuses. The provider runs in reattach mode to keep the many commands fast.

import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeCompliance, type FakeCompliance } from '../../fakes/chatgpt/index.js'
import { assertDeliveredAtLeastOnce, defaultEventId, startFakeSplunkHec, type FakeSplunkHec } from '../../fakes/receivers/index.js'
import { FAST_RUNTIME_ENV } from '../../helpers/collecting.js'
import { startService, type RunningService } from '../../helpers/service.js'
import { builtProvider, REPO_ROOT } from '../helpers/built-provider.js'
import { ServiceApi } from '../helpers/service-api.js'
import { startReattachedProvider, TerraformWorkspace, type ReattachedProvider } from '../helpers/terraform.js'
import { terraformGate } from '../helpers/terraform-gate.js'

const DESTINATION = 'openc2c_destination'
const WRONG_TOKEN = '00000000-0000-4000-8000-00000000dead'
const DELIVERY_ENV = { OPENC2C_DELIVERY_POLL_MS: '50', OPENC2C_DELIVERY_LINGER_MS: '0', OPENC2C_DELIVERY_ACK_POLL_MS: '50' }

const enabled = terraformGate('destination example e2e')

describe.skipIf(!enabled)('examples/terraform: a source and a Splunk HEC destination, delivering to a fake HEC', () => {
  let fake: FakeCompliance
  let hec: FakeSplunkHec
  let service: RunningService
  let provider: ReattachedProvider
  let ws: TerraformWorkspace
  let api: ServiceApi
  /** The audit and auth events collected so far: what the example's filter lets through. */
  let expected = new Set<string>()
  let conversations = new Set<string>()

  const vars = (token: string, version: number): NodeJS.ProcessEnv => ({
    TF_VAR_chatgpt_workspace_id: fake.workspaceId,
    TF_VAR_chatgpt_api_key: fake.apiKey,
    TF_VAR_splunk_hec_url: hec.url,
    TF_VAR_splunk_hec_token: token,
    TF_VAR_splunk_hec_token_version: String(version),
  })
  const edit = async (file: string, from: string, to: string): Promise<void> => {
    const text = await ws.read(file)
    if (!text.includes(from)) throw new Error(`${file} has no ${from}`)
    await ws.write(file, text.replace(from, to))
  }
  const destinationId = async (): Promise<string> => String((await ws.attributes(DESTINATION, 'splunk')).id)
  const destination = async (): Promise<any> => (await api.getDestination(await destinationId())).body.destination
  const eventually = async (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  /** A plan with nothing to do to any resource. The example's outputs show the service's states, which
   * move on as it collects and delivers: a plan may update them, so -detailed-exitcode alone can't say. */
  const expectNoChanges = async (env: NodeJS.ProcessEnv): Promise<void> => {
    const plan = await ws.run(['plan', '-detailed-exitcode', '-out', 'tfplan'], env)
    if (plan.code === 0) return
    expect(plan.code, plan.stderr).toBe(2)
    const shown = JSON.parse((await ws.expect(['show', '-json', 'tfplan'], 0, env)).stdout) as { resource_changes?: Array<{ address: string; change: { actions: string[] } }> }
    const changes = (shown.resource_changes ?? []).filter((c) => c.change.actions.join() !== 'no-op')
    expect(changes.map((c) => `${c.address}: ${c.change.actions.join()}`), plan.stdout).toEqual([])
  }
  /** After an update: the service restarts delivery with the new settings (the state leaves Pending). */
  const deliveringWithNewSettings = async (): Promise<void> => {
    await eventually(async () => (await destination()).state.state !== 'Pending', 'delivery with the new settings')
  }
  const storedAtHec = (): Set<string> => new Set(hec.acceptedEvents().map((e) => e.id as string))
  const allDelivered = (): boolean => [...expected].every((id) => storedAtHec().has(id))
  /** New upstream files, and a run of the source to collect them (the next scheduled one is an hour away). */
  const collectMore = async (): Promise<Set<string>> => {
    const before = new Set([...fake.expectedEventIds('AUDIT_LOG'), ...fake.expectedEventIds('AUTH_LOG')])
    fake.addGeneratedFiles('AUDIT_LOG', 1, 5)
    fake.addGeneratedFiles('AUTH_LOG', 1, 5)
    const added = new Set([...fake.expectedEventIds('AUDIT_LOG'), ...fake.expectedEventIds('AUTH_LOG')].filter((id) => !before.has(id)))
    const source = await ws.attributes('openc2c_chatgpt_compliance_source', 'workspace')
    const restart = await api.request('POST', `collectors/${source.collector_id}/sources/${source.id}/action/restart`)
    expect(restart.status).toBe(200)
    for (const id of added) expected.add(id)
    return added
  }

  beforeAll(async () => {
    fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
    fake.addGeneratedFiles('AUDIT_LOG', 2, 10)
    fake.addGeneratedFiles('AUTH_LOG', 1, 10)
    fake.addGeneratedFiles('CONVERSATION_MESSAGE', 1, 10)
    expected = new Set([...fake.expectedEventIds('AUDIT_LOG'), ...fake.expectedEventIds('AUTH_LOG')])
    conversations = fake.expectedEventIds('CONVERSATION_MESSAGE')
    hec = await startFakeSplunkHec({ acks: true })
    const [built, started] = await Promise.all([builtProvider(), startService({ env: { ...FAST_RUNTIME_ENV, ...DELIVERY_ENV, OPENC2C_CHATGPT_BASE_URL: fake.baseUrl } })])
    service = started
    api = new ServiceApi(service)
    provider = await startReattachedProvider(built, service)
    ws = await TerraformWorkspace.create({ provider: built, service, reattach: provider, from: join(REPO_ROOT, 'examples/terraform') })
    await ws.expect(['init'], 0)
  })

  afterAll(async () => {
    if (fake && hec) await ws?.run(['destroy', '-auto-approve'], vars(hec.token, 9))
    await ws?.remove()
    await provider?.stop()
    await service?.destroy()
    await hec?.close()
    await fake?.close()
  })

  it('checks at validate time that the block matches the type, naming the attribute', async () => {
    await edit('destination.tf', 'type               = "splunk_hec"', 'type               = "webhook"')
    const result = await ws.expect(['validate'], 1)
    expect(result.stderr).toMatch(/Missing webhook block/)
    expect(result.stderr).toMatch(/type += "webhook"/) // the line the diagnostic points at
    expect(result.stderr).toMatch(/Unexpected splunk_hec block/)
    expect(result.stderr).toMatch(/url += var\.splunk_hec_url/)
    await edit('destination.tf', 'type               = "webhook"', 'type               = "splunk_hec"')
    await ws.expect(['validate'], 0)
  })

  it('creates the source and the destination; the token reaches neither plan nor state, and the events reach Splunk', async () => {
    const plan = await ws.expect(['plan', '-detailed-exitcode', '-out', 'tfplan'], 2, vars(hec.token, 1))
    expect(plan.stdout).toContain('Plan: 3 to add, 0 to change, 0 to destroy.')
    expect(plan.stdout).toMatch(/token_wo += \(write-only attribute\)/)
    const shown = await ws.expect(['show', '-json', 'tfplan'], 0, vars(hec.token, 1))
    expect(shown.stdout).not.toContain(hec.token)
    await ws.expect(['apply', '-auto-approve'], 0, vars(hec.token, 1))
    expect(await ws.read('terraform.tfstate')).not.toContain(hec.token)

    const state = await ws.attributes(DESTINATION, 'splunk')
    const collectorId = Number((await ws.attributes('openc2c_collector', 'chatgpt')).id)
    expect(state).toMatchObject({ type: 'splunk_hec', secrets_wo_version: 1, stored_secrets: ['splunk_hec.token_wo'], start_from: 'earliest', enabled: true })
    expect(state.splunk_hec).toMatchObject({ url: hec.url, token_wo: null, indexer_ack: true })
    const wire = await destination()
    expect(wire).toMatchObject({
      name: 'splunk',
      type: 'splunk_hec',
      config: { url: hec.url, token: '********', indexerAck: true },
      filter: { collectorIds: [collectorId], eventTypes: ['AUDIT', 'AUTH'] },
    })

    await eventually(allDelivered, 'every audit and auth event at the fake HEC')
    assertDeliveredAtLeastOnce(expected, hec)
    expect([...conversations].filter((id) => storedAtHec().has(id)), 'the filter keeps conversations out').toEqual([])
    expect(hec.requests.filter((r) => r.status === 403)).toEqual([])
    expect(hec.violations).toEqual([])
  }, 180_000)

  it('plans nothing right after apply, while the destination delivers', async () => {
    await expectNoChanges(vars(hec.token, 1))
  })

  it('updates in place, keeping the stored token (the provider sends the mask)', async () => {
    await edit('destination.tf', '    indexer_ack = true\n', '    indexer_ack = true\n    sourcetype  = "openc2c:chatgpt"\n')
    // Any token will do: without a new version the provider does not send it.
    const plan = await ws.expect(['plan', '-detailed-exitcode'], 2, vars('not-sent', 1))
    expect(plan.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.')
    expect(plan.stdout).toMatch(/\+ sourcetype += "openc2c:chatgpt"/)
    await ws.expect(['apply', '-auto-approve'], 0, vars('not-sent', 1))
    expect((await destination()).config).toMatchObject({ sourcetype: 'openc2c:chatgpt', token: '********' })
    await deliveringWithNewSettings()

    const added = await collectMore()
    await eventually(allDelivered, 'the new events at the fake HEC')
    const envelopes = hec.envelopes.filter((e) => added.has(String(defaultEventId(e.envelope?.event))))
    expect(envelopes.length).toBeGreaterThanOrEqual(added.size)
    expect(new Set(envelopes.map((e) => e.envelope?.sourcetype))).toEqual(new Set(['openc2c:chatgpt']))
    expect(hec.requests.filter((r) => r.status === 403)).toEqual([])
    await expectNoChanges(vars('not-sent', 1))
  }, 180_000)

  it('sends a new token only when secrets_wo_version changes, and the receiver sees the one sent', async () => {
    // A wrong token with a new version: the service sends it, and the fake HEC refuses it.
    const plan = await ws.expect(['plan', '-detailed-exitcode'], 2, vars(WRONG_TOKEN, 2))
    expect(plan.stdout).toMatch(/~ secrets_wo_version += 1 -> 2/)
    expect(plan.stdout).not.toContain(WRONG_TOKEN)
    await ws.expect(['apply', '-auto-approve'], 0, vars(WRONG_TOKEN, 2))
    await deliveringWithNewSettings()
    const refused = await collectMore()
    await eventually(async () => (await destination()).state.state === 'Error', 'the destination in Error')
    expect((await destination()).state).toMatchObject({ state: 'Error', errorType: 'DestinationConfig' })
    // "Invalid token": on an event request, or on an acknowledgement poll if one was still due.
    expect(hec.requests.filter((r) => r.status === 403 && r.rejection === 'Invalid token').length).toBeGreaterThan(0)
    expect([...refused].filter((id) => storedAtHec().has(id))).toEqual([])

    // The right token under the same version: Terraform cannot see it, so nothing happens.
    await expectNoChanges(vars(hec.token, 2))

    // A new version sends it; the update clears the error and the refused events arrive.
    await ws.expect(['apply', '-auto-approve'], 0, vars(hec.token, 3))
    await eventually(allDelivered, 'the refused events at the fake HEC after the rotation')
    expect((await destination()).state.state).not.toBe('Error')
    expect(await ws.read('terraform.tfstate')).not.toContain(hec.token)
    await expectNoChanges(vars(hec.token, 3))
  }, 180_000)

  it('shows a destination changed outside Terraform as an update, and a deleted one as a re-create', async () => {
    const id = await destinationId()
    await api.changeDestination(id, (d) => ({ ...d, config: { ...d.config, indexerAck: false }, filter: { ...d.filter, eventTypes: ['AUDIT'] } }))
    const drift = await ws.expect(['plan', '-detailed-exitcode'], 2, vars(hec.token, 3))
    expect(drift.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.')
    expect(drift.stdout).toMatch(/~ indexer_ack += false -> true/)
    expect(drift.stdout).toMatch(/\+ "AUTH"/)
    await ws.expect(['apply', '-auto-approve'], 0, vars(hec.token, 3))
    expect(await destination()).toMatchObject({ config: { indexerAck: true, token: '********' }, filter: { eventTypes: ['AUDIT', 'AUTH'] } })

    await api.deleteDestination(id)
    hec.clearRecords()
    const recreate = await ws.expect(['plan', '-detailed-exitcode'], 2, vars(hec.token, 3))
    expect(recreate.stdout).toContain('Plan: 1 to add, 0 to change, 0 to destroy.')
    await ws.expect(['apply', '-auto-approve'], 0, vars(hec.token, 3))
    expect(await destinationId()).not.toBe(id)
    expect((await api.getDestination(id)).status).toBe(404)
    // The new destination starts from the earliest stored event and holds the token it was created with.
    await eventually(allDelivered, 'every event at the fake HEC again, from the re-created destination')
    expect(hec.requests.filter((r) => r.status === 403)).toEqual([])
    await expectNoChanges(vars(hec.token, 3))
  }, 180_000)

  it('imports the destination by id; the first plan sets only the version, and applying it sends the token', async () => {
    const id = await destinationId()
    await ws.expect(['state', 'rm', `${DESTINATION}.splunk`], 0)
    const bad = await ws.expect(['import', `${DESTINATION}.splunk`, 'splunk'], 1, vars(hec.token, 3))
    expect(bad.stderr).toMatch(/Invalid import id/)
    await ws.expect(['import', `${DESTINATION}.splunk`, id], 0, vars(hec.token, 3))
    const imported = await ws.attributes(DESTINATION, 'splunk')
    expect(imported).toMatchObject({ id, name: 'splunk', secrets_wo_version: null, stored_secrets: ['splunk_hec.token_wo'] })
    expect(imported.splunk_hec).toMatchObject({ url: hec.url, indexer_ack: true, sourcetype: 'openc2c:chatgpt', token_wo: null })
    const plan = await ws.expect(['plan', '-detailed-exitcode'], 2, vars(hec.token, 3))
    expect(plan.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.')
    expect(plan.stdout).toMatch(/\+ secrets_wo_version += 3/)
    await ws.expect(['apply', '-auto-approve'], 0, vars(hec.token, 3))
    await expectNoChanges(vars(hec.token, 3))
  })

  it('destroys the destination with the rest', async () => {
    const id = await destinationId()
    const result = await ws.expect(['destroy', '-auto-approve'], 0, vars(hec.token, 3))
    expect(result.stdout).toMatch(/Resources: 3 destroyed/)
    expect((await api.getDestination(id)).status).toBe(404)
  })
})
