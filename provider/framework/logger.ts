// Logs go to stderr as hclog JSON lines (@level, @message, @timestamp): go-plugin parses them and
// re-emits them under TF_LOG as "provider.terraform-provider-openc2c: ...". stdout is reserved for the
// handshake line. Never pass secrets here.
//
// Below warn, lines are written only when TF_LOG_PROVIDER (or TF_LOG) asks for that level, as with
// Terraform's own providers: a debug line per API request is noise nobody reads otherwise.

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error'

const RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 }

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void
}

export function levelFromEnvironment(env: NodeJS.ProcessEnv): LogLevel {
  const wanted = (env.TF_LOG_PROVIDER || env.TF_LOG || '').toLowerCase()
  if (wanted === 'json') return 'trace'
  return wanted in RANK ? (wanted as LogLevel) : 'warn'
}

export function stderrLogger(module = 'openc2c', minimum: LogLevel = levelFromEnvironment(process.env)): Logger {
  return {
    log(level, message, fields) {
      if (RANK[level] < RANK[minimum]) return
      process.stderr.write(`${JSON.stringify({ '@level': level, '@message': message, '@module': module, '@timestamp': new Date().toISOString(), ...fields })}\n`)
    },
  }
}
