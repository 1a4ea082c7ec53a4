// Summarises a V8 .cpuprofile (node --cpu-prof): where the samples were, by function (self time)
// and by package or source file (self and inclusive time), so a slow pipeline shows its hot spots.
import fs from 'node:fs/promises'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileSummary {
  totalMs: number
  selfByFunction: [string, number][]
  selfByModule: [string, number][]
  inclusiveByModule: [string, number][]
}

/**
 * `node_modules/pg/lib/x.js` → `pg`; `file:///…/api/store/x.ts` → `api/store/x.ts`; builtins grouped.
 * The service runs as an esbuild bundle (npm start): its own code is one file, `openc2c (bundle)`.
 */
function moduleOf(url: string, functionName: string): string {
  if (!url) return `(${functionName || 'native'})`
  if (/\/openc2c-service\/|\/dist\/api\//.test(url)) return 'openc2c (bundle)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1]!
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0]
  const local = /\/((?:api|schemas|migrations|test)\/.*)$/.exec(url)
  return local ? local[1]! : url
}

export async function summariseProfile(file: string, top = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await fs.readFile(file, 'utf8')) as CpuProfile
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))

  const byFunction = new Map<string, number>()
  const byModule = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v)
  for (const [id, micros] of self) {
    const { callFrame: f } = nodes.get(id)!
    const module = moduleOf(f.url, f.functionName)
    add(byFunction, `${f.functionName || '(anonymous)'} ${module}:${f.lineNumber + 1}`, micros)
    add(byModule, module, micros)
    // Inclusive: every module on the stack gets the sample once.
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = nodes.get(cur)!.callFrame
      if (!frame.url) continue
      const m = moduleOf(frame.url, frame.functionName)
      if (!seen.has(m)) {
        seen.add(m)
        add(inclusive, m, micros)
      }
    }
  }
  const sorted = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => [k, v / 1000] as [string, number])
  return {
    totalMs: profile.timeDeltas.reduce((a, b) => a + b, 0) / 1000,
    selfByFunction: sorted(byFunction),
    selfByModule: sorted(byModule),
    inclusiveByModule: sorted(inclusive),
  }
}
