// Finds the provider's resident hosts (provider/host/) among the machine's processes, through /proc: a host
// runs with `--host`, its socket in OPENC2C_PROVIDER_HOST_SOCKET and the host variables of the launch that
// started it (provider/host/protocol.ts). Linux only; elsewhere there is nothing to find.

import { readdirSync, readFileSync } from 'node:fs'

export interface HostProcess {
  pid: number
  socketPath: string
  argv: string[]
  env: Map<string, string>
}

/** Hosts whose environment has `name` set to `value`. */
export function residentHosts(name: string, value: string): HostProcess[] {
  if (process.platform !== 'linux') return []
  const found: HostProcess[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      if (!argv.includes('--host')) continue
      const env = new Map(
        readFileSync(`/proc/${entry}/environ`, 'utf8')
          .split('\0')
          .filter(Boolean)
          .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)] as [string, string]),
      )
      if (env.get(name) === value) found.push({ pid: Number(entry), socketPath: env.get('OPENC2C_PROVIDER_HOST_SOCKET') ?? '', argv, env })
    } catch {
      // the process ended while we looked, or is not ours to read
    }
  }
  return found
}

/** Stops hosts (SIGTERM: each removes its socket and exits). */
export function stopResidentHosts(hosts: HostProcess[]): void {
  for (const host of hosts) {
    try {
      process.kill(host.pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
}
