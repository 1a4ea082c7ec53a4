import { describe, expect, it } from 'vitest'
import { idleMsFromEnvironment, isHostVariable, isSessionVariable, jsonLines, splitEnvironment } from '../../../provider/host/protocol.js'

describe('session and host variables', () => {
  it('sends what the session reads (go-plugin, log level, provider settings) with the session', () => {
    for (const name of ['TF_PLUGIN_MAGIC_COOKIE', 'PLUGIN_CLIENT_CERT', 'PLUGIN_PROTOCOL_VERSIONS', 'TF_LOG', 'TF_LOG_PROVIDER', 'OPENC2C_ENDPOINT', 'OPENC2C_ACCESS_ID', 'OPENC2C_ACCESS_KEY']) {
      expect(isSessionVariable(name), name).toBe(true)
      expect(isHostVariable(name), name).toBe(false)
    }
  })

  it('gives the host what Node and the provider read for themselves', () => {
    for (const name of ['NODE_OPTIONS', 'NODE_TLS_REJECT_UNAUTHORIZED', 'OPENC2C_NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'OPENSSL_CONF', 'UV_THREADPOOL_SIZE', 'GRPC_SSL_CIPHER_SUITES', 'LD_LIBRARY_PATH', 'OPENC2C_PROVIDER_HOST_IDLE_SECONDS', 'TZ', 'LANG', 'LC_ALL']) {
      expect(isHostVariable(name), name).toBe(true)
      expect(isSessionVariable(name), name).toBe(false)
    }
  })

  it('passes on nothing else: neither other Terraform settings nor unrelated secrets', () => {
    for (const name of ['TF_VAR_db_password', 'TF_CLI_CONFIG_FILE', 'PLUGIN_MIN_PORT', 'AWS_SECRET_ACCESS_KEY', 'VAULT_TOKEN', 'PATH', 'HOME', 'PWD']) {
      expect(isSessionVariable(name), name).toBe(false)
      expect(isHostVariable(name), name).toBe(false)
    }
  })

  it('splits an environment into the two, dropping the rest and unset variables', () => {
    expect(splitEnvironment({ PATH: '/bin', NODE_OPTIONS: '--x', TF_LOG: 'debug', TF_VAR_a: 'b', OPENC2C_ACCESS_KEY: 'k', GONE: undefined })).toEqual({
      session: { TF_LOG: 'debug', OPENC2C_ACCESS_KEY: 'k' },
      host: { NODE_OPTIONS: '--x' },
    })
  })
})

describe('idle time', () => {
  it('defaults to 60 s, takes fractional seconds, and turns the host off with 0 or OPENC2C_PROVIDER_HOST=off', () => {
    expect(idleMsFromEnvironment({})).toBe(60_000)
    expect(idleMsFromEnvironment({ OPENC2C_PROVIDER_HOST_IDLE_SECONDS: '2.5' })).toBe(2_500)
    expect(idleMsFromEnvironment({ OPENC2C_PROVIDER_HOST_IDLE_SECONDS: '0' })).toBe(0)
    expect(idleMsFromEnvironment({ OPENC2C_PROVIDER_HOST: 'off', OPENC2C_PROVIDER_HOST_IDLE_SECONDS: '30' })).toBe(0)
  })

  it("caps the idle time where Node's timers stop working (2^31 - 1 ms)", () => {
    expect(idleMsFromEnvironment({ OPENC2C_PROVIDER_HOST_IDLE_SECONDS: '3000000' })).toBe(2 ** 31 - 1)
  })

  it('falls back to the default for a value that is not a number of seconds', () => {
    expect(idleMsFromEnvironment({ OPENC2C_PROVIDER_HOST_IDLE_SECONDS: 'soon' })).toBe(60_000)
    expect(idleMsFromEnvironment({ OPENC2C_PROVIDER_HOST_IDLE_SECONDS: '-5' })).toBe(60_000)
  })
})

describe('jsonLines', () => {
  it('reassembles messages split across chunks and several messages in one chunk', () => {
    const seen: unknown[] = []
    const feed = jsonLines((message) => seen.push(message))
    feed('{"handshake":"1|6|tcp|127.0.0.1:1|grpc|"}\n{"lo')
    feed('g":"a\\nb"}\n\n{"exit"')
    expect(seen).toEqual([{ handshake: '1|6|tcp|127.0.0.1:1|grpc|' }, { log: 'a\nb' }])
    feed(':0}\n')
    expect(seen.at(-1)).toEqual({ exit: 0 })
  })

  it('decodes a character split between two chunks', () => {
    const seen: unknown[] = []
    const feed = jsonLines((message) => seen.push(message))
    const bytes = Buffer.from('{"log":"café ✓"}\n')
    const cut = bytes.indexOf(0xa9) // the second byte of é
    feed(bytes.subarray(0, cut))
    feed(bytes.subarray(cut))
    expect(seen).toEqual([{ log: 'café ✓' }])
  })

  it('hands a line that is not JSON over as undefined', () => {
    const seen: unknown[] = []
    jsonLines((message) => seen.push(message))(Buffer.from('HTTP/1.1 400 Bad Request\n{"exit":1}\n'))
    expect(seen).toEqual([undefined, { exit: 1 }])
  })
})
