// Environment → config: defaults, and a clear message naming each bad variable.
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../api/config.js'

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: undefined,
      schedulerEnabled: true,
      eventRetentionDays: 30,
      authFailuresPerMinute: 30,
      bootstrapCredentials: undefined,
      secretKey: undefined,
    })
    expect(config.dataDir).toMatch(/\/data$/)
    expect(config.sourceTypeSettings.get('ChatGPT Compliance')).toEqual({ baseUrl: 'https://api.chatgpt.com/v1', requestsPerMinute: 90, initialLookbackDays: 30 })
  })

  it('reads every variable', () => {
    const key = Buffer.alloc(32, 7)
    const config = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u@h/db',
      OPENC2C_DATA_DIR: '/var/lib/openc2c',
      OPENC2C_ACCESS_ID: 'admin',
      OPENC2C_ACCESS_KEY: 'a-long-enough-key',
      OPENC2C_SECRET_KEY: key.toString('hex'),
      OPENC2C_CHATGPT_BASE_URL: 'http://127.0.0.1:9999/v1/',
      OPENC2C_SCHEDULER: 'off',
      OPENC2C_EVENT_RETENTION_DAYS: '7',
      OPENC2C_AUTH_FAILURES_PER_MINUTE: '0',
    })
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      databaseUrl: 'postgres://u@h/db',
      dataDir: '/var/lib/openc2c',
      bootstrapCredentials: { accessId: 'admin', accessKey: 'a-long-enough-key' },
      schedulerEnabled: false,
      eventRetentionDays: 7,
      authFailuresPerMinute: 0,
    })
    expect(config.sourceTypeSettings.get('ChatGPT Compliance')).toMatchObject({ baseUrl: 'http://127.0.0.1:9999/v1' })
    expect(config.secretKey?.equals(key)).toBe(true)
    expect(loadConfig({ OPENC2C_SECRET_KEY: key.toString('base64') }).secretKey?.equals(key)).toBe(true)
  })

  it('names each bad variable, all at once', () => {
    const found = problems({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      OPENC2C_ACCESS_ID: 'only-id',
      OPENC2C_SECRET_KEY: 'short',
      OPENC2C_CHATGPT_BASE_URL: 'ftp://x',
      OPENC2C_SCHEDULER: 'maybe',
      OPENC2C_EVENT_RETENTION_DAYS: '0',
    })
    for (const name of ['PORT', 'DATABASE_URL', 'OPENC2C_ACCESS_ID and OPENC2C_ACCESS_KEY', 'OPENC2C_SECRET_KEY', 'OPENC2C_CHATGPT_BASE_URL', 'OPENC2C_SCHEDULER', 'OPENC2C_EVENT_RETENTION_DAYS']) {
      expect(found.some((p) => p.startsWith(name)), name).toBe(true)
    }
  })

  it('requires OPENC2C_SECRET_KEY with DATABASE_URL, and says why', () => {
    const [problem] = problems({ DATABASE_URL: 'postgres://u@h/db' })
    expect(problem).toMatch(/^OPENC2C_SECRET_KEY is required with DATABASE_URL/)
    expect(problem).toContain('replica')
  })

  it('rejects a short access key', () => {
    expect(problems({ OPENC2C_ACCESS_ID: 'a', OPENC2C_ACCESS_KEY: 'short' })).toEqual(['OPENC2C_ACCESS_KEY must be at least 16 characters long'])
  })
})
