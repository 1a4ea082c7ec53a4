import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import { describe, expect, it } from 'vitest'
import { httpsAgentOptions } from '../../../provider/client/api-client.js'
import { httpsSecureContext, httpsTrust, LAUNCHER_EXTRA_CA_VARIABLE } from '../../../provider/client/https-trust.js'
import { generateServerCertificate } from '../../../provider/plugin/certificate.js'

/** What the launcher (packaging/executable.ts) leaves a provider process with. */
const launched = (extra: string): { env: NodeJS.ProcessEnv; execArgv: string[]; opensslDefaultStore: boolean } => ({
  env: { [LAUNCHER_EXTRA_CA_VARIABLE]: extra, SSL_CERT_FILE: '/dev/null', SSL_CERT_DIR: '/dev/null' },
  execArgv: ['--use-openssl-ca', '--input-type=commonjs', '-e', '…'],
  opensslDefaultStore: false,
})

describe('httpsTrust', () => {
  it("leaves Node's default trust alone unless the process runs with all of the launcher's settings", () => {
    const inputs = launched('')
    expect(httpsTrust({ ...inputs, env: {} })).toEqual({ warnings: [] })
    // A stale variable in the environment is not enough: Node's store is intact without the flag or the paths.
    expect(httpsTrust({ ...inputs, execArgv: [] })).toEqual({ warnings: [] })
    expect(httpsTrust({ ...inputs, env: { ...inputs.env, SSL_CERT_FILE: '/etc/ssl/cert.pem' } })).toEqual({ warnings: [] })
    expect(httpsTrust(inputs).ca).toBeDefined()
  })

  it("trusts Node's bundled roots when the launcher ran without NODE_EXTRA_CA_CERTS", () => {
    const trust = httpsTrust(launched(''))
    expect(trust.warnings).toEqual([])
    expect(trust.ca).toEqual([...rootCertificates])
    expect(trust.ca!.length).toBeGreaterThan(100)
  })

  it('adds the certificates of the file NODE_EXTRA_CA_CERTS named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openc2c-trust-'))
    const file = join(dir, 'extra.pem')
    const pem = generateServerCertificate().certificatePem + generateServerCertificate().certificatePem
    await writeFile(file, pem)
    const trust = httpsTrust(launched(file))
    expect(trust.warnings).toEqual([])
    expect(trust.ca).toHaveLength(rootCertificates.length + 1)
    expect(trust.ca!.at(-1)).toBe(pem)
  })

  it('warns, naming the file, and keeps the bundled roots when the file cannot be used', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openc2c-trust-'))
    const missing = httpsTrust(launched(join(dir, 'absent.pem')))
    expect(missing.warnings).toEqual([expect.stringMatching(/absent\.pem.*load failed: ENOENT/)])
    expect(missing.ca).toEqual([...rootCertificates])
    const notPem = join(dir, 'not.pem')
    await writeFile(notPem, 'hello')
    const garbage = httpsTrust(launched(notPem))
    expect(garbage.warnings).toEqual([expect.stringMatching(/not\.pem.*no PEM certificate/)])
    expect(garbage.ca).toEqual([...rootCertificates])
  })

  it("says to rebuild when this Node trusts OpenSSL's store by default but the launcher's settings are in place", () => {
    const trust = httpsTrust({ ...launched(''), opensslDefaultStore: true })
    expect(trust.warnings).toEqual([expect.stringMatching(/Rebuild the provider with this Node/)])
    expect(trust.ca).toEqual([...rootCertificates])
  })

  it("gives the API client's agent one TLS context to share, never a `ca` (which costs a context per connection)", () => {
    expect(httpsSecureContext({ warnings: [] })).toBeUndefined()
    expect(httpsAgentOptions({ warnings: [] })).not.toHaveProperty('secureContext')
    const options = httpsAgentOptions(httpsTrust(launched('')))
    expect(options).not.toHaveProperty('ca')
    expect(options.secureContext?.context).toBeDefined()
  })
})
