import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import { describe, expect, it } from 'vitest'
import { httpsTrust, LAUNCHER_EXTRA_CA_VARIABLE } from '../../../provider/client/https-trust.js'
import { generateServerCertificate } from '../../../provider/plugin/certificate.js'

describe('httpsTrust', () => {
  it("leaves Node's default trust alone when the launcher did not start the process", () => {
    expect(httpsTrust({})).toEqual({})
  })

  it("trusts Node's bundled roots when the launcher ran without NODE_EXTRA_CA_CERTS", () => {
    const trust = httpsTrust({ [LAUNCHER_EXTRA_CA_VARIABLE]: '' })
    expect(trust.warning).toBeUndefined()
    expect(trust.ca).toEqual([...rootCertificates])
    expect(trust.ca!.length).toBeGreaterThan(100)
  })

  it('adds the certificates of the file NODE_EXTRA_CA_CERTS named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openc2c-trust-'))
    const file = join(dir, 'extra.pem')
    const pem = generateServerCertificate().certificatePem + generateServerCertificate().certificatePem
    await writeFile(file, pem)
    const trust = httpsTrust({ [LAUNCHER_EXTRA_CA_VARIABLE]: file })
    expect(trust.warning).toBeUndefined()
    expect(trust.ca).toHaveLength(rootCertificates.length + 1)
    expect(trust.ca!.at(-1)).toBe(pem)
  })

  it('warns, naming the file, and keeps the bundled roots when the file cannot be used', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openc2c-trust-'))
    const missing = httpsTrust({ [LAUNCHER_EXTRA_CA_VARIABLE]: join(dir, 'absent.pem') })
    expect(missing.warning).toMatch(/absent\.pem.*load failed: ENOENT/)
    expect(missing.ca).toEqual([...rootCertificates])
    const notPem = join(dir, 'not.pem')
    await writeFile(notPem, 'hello')
    const garbage = httpsTrust({ [LAUNCHER_EXTRA_CA_VARIABLE]: notPem })
    expect(garbage.warning).toMatch(/not\.pem.*no PEM certificate/)
    expect(garbage.ca).toEqual([...rootCertificates])
  })
})
