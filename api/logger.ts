// JSON logs (pino). Secrets never reach a log line: Authorization headers, API keys and sealed
// secrets are censored wherever they appear in a logged object, as a second line of defence behind
// never logging request bodies or headers in the first place.
import pino, { type Logger } from 'pino'
import type { AppConfig } from './config.js'

export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'apiKey',
  '*.apiKey',
  'config.apiKey',
  '*.config.apiKey',
  'source.config.apiKey',
  'secrets',
  '*.secrets',
  'accessKey',
  '*.accessKey',
  'key',
]

export function createLogger(config: Pick<AppConfig, 'logLevel'>, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'openc2c' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  )
}
