// Logs go to stderr as hclog JSON lines (@level, @message, @timestamp): go-plugin parses them and
// re-emits them under TF_LOG as "provider.terraform-provider-openc2c: ...". stdout is reserved for the
// handshake line. Never pass secrets here.

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void
}

export function stderrLogger(module = 'openc2c'): Logger {
  return {
    log(level, message, fields) {
      const line = JSON.stringify({ '@level': level, '@message': message, '@module': module, '@timestamp': new Date().toISOString(), ...fields })
      process.stderr.write(`${line}\n`)
    },
  }
}

export const silentLogger: Logger = { log() {} }
