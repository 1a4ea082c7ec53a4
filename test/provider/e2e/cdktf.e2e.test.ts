// examples/cdktf: `cdktf synth` of the example app with our hand-written constructs, then the real
// terraform CLI applies the synthesized cdk.tf.json (init from the filesystem mirror, Terraform
// launching the provider), plans nothing afterwards, and destroys it. The constructs' HCL synthesis (the
// documented way off CDKTF) is checked by terraform validate.

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { App, TerraformStack, TerraformVariable, Testing } from 'cdktf'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Collector, Destination, Openc2cProvider } from '../../../provider/cdktf/index.js'
import { startService, type RunningService } from '../../helpers/service.js'
import { builtProvider, REPO_ROOT, type BuiltProvider } from '../helpers/built-provider.js'
import { ServiceApi } from '../helpers/service-api.js'
import { TerraformWorkspace } from '../helpers/terraform.js'
import { terraformGate } from '../helpers/terraform-gate.js'

const STACK = 'chatgpt-compliance'
const SIGNING_KEY = 'cdktf-webhook-signing-key-0123'
const vars: NodeJS.ProcessEnv = {
  TF_VAR_chatgpt_workspace_id: 'ws-cdktf-0001',
  TF_VAR_chatgpt_api_key: 'sk-proj-cdktf-secret-key',
  TF_VAR_webhook_url: 'http://127.0.0.1:9/events',
  TF_VAR_webhook_signing_key: SIGNING_KEY,
}

const enabled = terraformGate('cdktf e2e')

describe.skipIf(!enabled)('CDKTF example: synth, then terraform apply of the output', () => {
  let service: RunningService
  let provider: BuiltProvider
  let outDir: string
  let ws: TerraformWorkspace
  let api: ServiceApi

  beforeAll(async () => {
    ;[provider, service] = await Promise.all([builtProvider(), startService({ env: { OPENC2C_SCHEDULER: 'off' } })])
    api = new ServiceApi(service)
    outDir = await mkdtemp(join(tmpdir(), 'openc2c-cdktf-'))
  })

  afterAll(async () => {
    await ws?.run(['destroy', '-auto-approve'], vars)
    await ws?.remove()
    await service?.destroy()
    if (outDir) await rm(outDir, { recursive: true, force: true })
  })

  it('synthesizes the stack with the openc2c provider, collector, typed source and destination', async () => {
    const child = spawn('npx', ['cdktf', 'synth', '--output', join(outDir, 'cdktf.out')], {
      cwd: join(REPO_ROOT, 'examples/cdktf'),
      env: { ...process.env, CHECKPOINT_DISABLE: '1', DISABLE_VERSION_CHECK: '1', CI: '1', TF_CLI_CONFIG_FILE: join(outDir, 'none.tfrc') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const [code] = await once(child, 'exit')
    expect(code, output).toBe(0)
    const synthesized = JSON.parse(await readFile(join(outDir, 'cdktf.out/stacks', STACK, 'cdk.tf.json'), 'utf8'))
    expect(synthesized.terraform.required_providers.openc2c).toEqual({ source: 'openc2c/openc2c', version: '~> 0.1' })
    expect(synthesized.resource.openc2c_collector.collector).toMatchObject({ name: 'chatgpt-enterprise-cdktf', category: 'chatgpt' })
    expect(synthesized.resource.openc2c_chatgpt_compliance_source.compliance).toMatchObject({
      collector_id: '${openc2c_collector.collector.id}',
      api_key_wo: '${var.chatgpt_api_key}',
      event_types: ['CONVERSATION', 'AUDIT'],
    })
    expect(synthesized.resource.openc2c_destination.siem).toMatchObject({
      name: 'siem-webhook',
      type: 'webhook',
      secrets_wo_version: 1,
      webhook: { url: '${var.webhook_url}', gzip: true, signing_key_wo: '${var.webhook_signing_key}' },
      filter: { collector_ids: ['${openc2c_collector.collector.id}'] },
    })
    expect(synthesized.variable.chatgpt_api_key).toMatchObject({ sensitive: true, ephemeral: true })
    expect(synthesized.variable.webhook_signing_key).toMatchObject({ sensitive: true, ephemeral: true })
    expect(JSON.stringify(synthesized)).not.toContain(service.accessKey)
  }, 120_000)

  it('applies the synthesized configuration with terraform, then plans nothing', async () => {
    ws = await TerraformWorkspace.create({ provider, service, from: join(outDir, 'cdktf.out/stacks', STACK) })
    // CDKTF always writes a local backend pointing into the example folder; keep the state here instead.
    await ws.expect(['init', `-backend-config=path=${join(ws.dir, 'terraform.tfstate')}`], 0)
    await ws.expect(['apply', '-auto-approve'], 0, vars)
    const output = await ws.expect(['output', '-json'], 0)
    const { collector_id, source_id, destination_id } = JSON.parse(output.stdout) as Record<string, { value: string }>
    const source = (await api.getSource(collector_id!.value, source_id!.value)).body.source
    expect(source.config).toMatchObject({ name: 'chatgpt-compliance', workspaceID: 'ws-cdktf-0001', apiKey: '********', enabledEventType: ['CONVERSATION', 'AUDIT'] })
    const destination = (await api.getDestination(destination_id!.value)).body.destination
    expect(destination).toMatchObject({
      name: 'siem-webhook',
      type: 'webhook',
      config: { url: 'http://127.0.0.1:9/events', gzip: true, signingKey: '********' },
      filter: { collectorIds: [Number(collector_id!.value)] },
    })
    expect(await ws.read('terraform.tfstate')).not.toContain(SIGNING_KEY)
    await ws.expect(['plan', '-detailed-exitcode'], 0, vars)
  })

  it('destroys it', async () => {
    const result = await ws.expect(['destroy', '-auto-approve'], 0, vars)
    expect(result.stdout).toMatch(/Resources: 3 destroyed/)
  })

  it('synthesizes HCL that terraform validates: blocks as blocks, references in a set of numbers', async () => {
    const stack = new TerraformStack(Testing.app() as App, 'hcl')
    new Openc2cProvider(stack, 'openc2c')
    const collector = new Collector(stack, 'collector', { name: 'hcl' })
    const key = new TerraformVariable(stack, 'key', { type: 'string', sensitive: true })
    key.addOverride('ephemeral', true)
    new Destination(stack, 'hook', {
      name: 'hook',
      type: 'webhook',
      enabled: false,
      secretsWoVersion: 1,
      webhook: { url: 'https://hooks.example/in', gzip: true, headersWo: { 'X-Api-Key': key.stringValue }, signingKeyWo: key.stringValue },
      filter: { collectorIds: [collector.id, 7], eventTypes: ['AUDIT'] },
    })
    const hcl = Testing.synthHcl(stack) as string
    expect(hcl).toMatch(/webhook \{/)
    expect(hcl).toMatch(/filter \{/)
    const hclWs = await TerraformWorkspace.create({ provider, service, files: { 'main.tf': hcl } })
    try {
      await hclWs.expect(['init'], 0)
      await hclWs.expect(['validate'], 0)
    } finally {
      await hclWs.remove()
    }
  })
})
