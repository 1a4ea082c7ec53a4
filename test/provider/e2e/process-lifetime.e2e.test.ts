// What a Terraform command leaves behind: the real terraform CLI installs the provider from the filesystem
// mirror and applies, with TMPDIR pointing at a folder of the test's own. While the apply runs, the test
// watches the machine's processes and that folder, so it knows it can see the provider's processes and its
// socket folder; once terraform has returned, none of them may be left.

import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startService, type RunningService } from '../../helpers/service.js'
import { builtProvider } from '../helpers/built-provider.js'
import { TerraformWorkspace } from '../helpers/terraform.js'
import { terraformGate } from '../helpers/terraform-gate.js'

const CONFIG = `terraform {
  required_providers {
    openc2c = { source = "openc2c/openc2c" }
  }
}
provider "openc2c" {}
resource "openc2c_collector" "lifetime" {
  name = "process-lifetime"
}
resource "openc2c_chatgpt_compliance_source" "lifetime" {
  collector_id = openc2c_collector.lifetime.id
  name         = "process-lifetime"
  workspace_id = "ws-lifetime"
  api_key      = "sk-lifetime"
}
`

/** Pids of the provider processes working in `dir` (Terraform starts the provider in the workspace, by a
 * path relative to it). */
function providerProcessesIn(dir: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('terraform-provider-openc2c') && readlinkSync(`/proc/${entry}/cwd`) === dir) pids.push(Number(entry))
    } catch {
      // ended while we looked, or not ours to look at
    }
  }
  return pids
}

/** Every path under `dir`, relative to it. */
async function entriesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[])
  return entries.map(String).sort()
}

const enabled = terraformGate('process lifetime e2e')

describe.skipIf(!enabled || process.platform !== 'linux')('after a terraform command, nothing of the provider is left', () => {
  let service: RunningService
  let ws: TerraformWorkspace
  let temporary: string

  beforeAll(async () => {
    const [provider, started] = await Promise.all([builtProvider(), startService({ env: { OPENC2C_SCHEDULER: 'off' } })])
    service = started
    ws = await TerraformWorkspace.create({ provider, service, files: { 'main.tf': CONFIG } })
    temporary = await mkdtemp(join(tmpdir(), 'openc2c-test-tf-tmpdir-'))
  })

  afterAll(async () => {
    await ws?.run(['destroy', '-auto-approve'], { TMPDIR: temporary })
    await ws?.remove()
    await service?.destroy()
    if (temporary) await rm(temporary, { recursive: true, force: true })
  })

  it('leaves no provider process and no socket, FIFO or folder in the temporary directory once apply returns', async () => {
    const workspace = realpathSync(ws.dir)
    await ws.expect(['init'], 0, { TMPDIR: temporary })
    expect(await entriesUnder(temporary)).toEqual([])

    const seenProcesses = new Set<number>()
    const seenEntries = new Set<string>()
    let watching = true
    const watcher = (async () => {
      while (watching) {
        for (const pid of providerProcessesIn(workspace)) seenProcesses.add(pid)
        for (const entry of await entriesUnder(temporary)) seenEntries.add(entry)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })()
    try {
      await ws.expect(['apply', '-auto-approve'], 0, { TMPDIR: temporary })
    } finally {
      watching = false
      await watcher
    }

    // The watch saw the provider at work: its processes (Terraform starts one per phase) and a socket in a
    // folder of its own under TMPDIR.
    expect(seenProcesses.size).toBeGreaterThanOrEqual(2)
    expect([...seenEntries].some((entry) => /^openc2c-plugin-[^/]+\/grpc\.sock$/.test(entry))).toBe(true)
    // Terraform has returned: every one of those processes has ended, and the folder is as it was.
    expect([...seenProcesses].filter((pid) => providerProcessesIn(workspace).includes(pid))).toEqual([])
    expect(providerProcessesIn(workspace)).toEqual([])
    expect(await entriesUnder(temporary)).toEqual([])
  })
})
