// Command line of `npm run demo`.
import { parseArgs } from 'node:util'

export interface DemoOptions {
  /** Exit after the first run (0 when every published event was stored, 1 otherwise). */
  once: boolean
  /** Keep the service's data here; default: a temporary directory removed at exit. */
  dataDir: string | undefined
  /** Port of the service; 0 picks a free one. */
  port: number
  days: number
  filesPerDay: number
  eventsPerFile: number
  /** Seconds between new files on the fake (then a run is requested); 0 = none. */
  publishEverySeconds: number
  help: boolean
}

export const USAGE = `npm run demo -- [options]

Starts a fake ChatGPT Compliance Logs Platform with a few days of data for all 7 event types, the
openc2c service on embedded PGlite, a collector and a ChatGPT Compliance source with every type
enabled, and shows what the collector does. Ctrl-C stops everything.

  --once                 exit after the first run (exit code 0 when every published event is stored)
  --data-dir DIR         keep the service's data in DIR (e.g. ./data-demo); default: a temporary directory
  --port N               service port (default 8080; 0 = any free port)
  --days N               days of history on the fake (default 3)
  --files-per-day N      files per day and type (default 4)
  --events-per-file N    events per file (default 50)
  --publish-every S      publish new files every S seconds and request a run (default 60; 0 = off)
`

export function parseDemoOptions(argv: string[]): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      once: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      port: { type: 'string', default: '8080' },
      days: { type: 'string', default: '3' },
      'files-per-day': { type: 'string', default: '4' },
      'events-per-file': { type: 'string', default: '50' },
      'publish-every': { type: 'string', default: '60' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  const number = (name: keyof typeof values, min: number, max: number): number => {
    const raw = String(values[name])
    if (!/^\d+(\.\d+)?$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new Error(`--${name} must be a number from ${min} to ${max}, got "${raw}"`)
    return Number(raw)
  }
  return {
    once: Boolean(values.once),
    dataDir: values['data-dir'],
    port: number('port', 0, 65535),
    days: number('days', 0.1, 30),
    filesPerDay: number('files-per-day', 1, 96),
    eventsPerFile: number('events-per-file', 1, 100_000),
    publishEverySeconds: number('publish-every', 0, 86_400),
    help: Boolean(values.help),
  }
}
