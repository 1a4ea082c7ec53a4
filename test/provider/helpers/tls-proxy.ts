// An https front for the service, as a TLS-terminating load balancer would be: its certificate is
// self-signed (SAN localhost), so a client trusts it only when told to, e.g. through NODE_EXTRA_CA_CERTS.
// Requests pass to the service unchanged.

import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateServerCertificate } from '../../../provider/plugin/certificate.js'

export interface TlsProxy {
  /** https://localhost:<port> */
  url: string
  /** A PEM file holding the proxy's certificate, for NODE_EXTRA_CA_CERTS. */
  certificateFile: string
  close(): Promise<void>
}

export async function startTlsProxy(upstream: string): Promise<TlsProxy> {
  const certificate = generateServerCertificate()
  const dir = await mkdtemp(join(tmpdir(), 'openc2c-tls-proxy-'))
  const certificateFile = join(dir, 'proxy.pem')
  await writeFile(certificateFile, certificate.certificatePem)
  const target = new URL(upstream)
  const server = https.createServer({ key: certificate.privateKeyPem, cert: certificate.certificatePem }, (req, res) => {
    const forward = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    forward.on('error', () => res.destroy())
    req.pipe(forward)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `https://localhost:${port}`,
    certificateFile,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await rm(dir, { recursive: true, force: true })
    },
  }
}
