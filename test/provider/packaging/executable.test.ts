// The shipped file's shell lines, run by /bin/sh around a probe program that reports what Node started
// with: the certificate-store settings (line 2) and the loader (line 3).

import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { afterCertificateStoreLine, executableText, type ExecutableOptions } from '../../../provider/packaging/executable.js'

const PROBE = `process.stdout.write(JSON.stringify({
  flags: process.execArgv.filter((a) => a.startsWith('--use')),
  args: process.argv.slice(2),
  extra: process.env.NODE_EXTRA_CA_CERTS ?? null,
  moved: process.env.OPENC2C_NODE_EXTRA_CA_CERTS ?? null,
  file: process.env.SSL_CERT_FILE ?? null,
  dir: process.env.SSL_CERT_DIR ?? null,
}))`

const dir = mkdtempSync(join(tmpdir(), 'openc2c-launcher-'))

function run(env: Record<string, string>, options: ExecutableOptions = {}): Record<string, unknown> {
  const file = join(dir, `probe-${options.certificateStoreLine === false ? 'plain' : 'store'}`)
  writeFileSync(file, executableText(PROBE, '', options), { mode: 0o755 })
  // Only what the test sets, plus PATH to find node: the machine's own NODE_EXTRA_CA_CERTS stays out.
  const result = spawnSync(file, ['a b', '--version'], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`probe exited ${result.status}: ${result.stderr}`)
  return JSON.parse(result.stdout) as Record<string, unknown>
}

describe('the launcher lines', () => {
  it('starts Node on an empty OpenSSL store and hands NODE_EXTRA_CA_CERTS over under another name', () => {
    expect(run({ NODE_EXTRA_CA_CERTS: '/etc/my ca.pem', SSL_CERT_FILE: '/etc/ssl/cert.pem' })).toEqual({
      flags: ['--use-openssl-ca'],
      args: ['a b', '--version'],
      extra: null,
      moved: '/etc/my ca.pem',
      file: '/dev/null',
      dir: '/dev/null',
    })
    // Unset stays distinguishable from a path: an empty value, which https-trust.ts reads as "no extra file".
    expect(run({})).toMatchObject({ flags: ['--use-openssl-ca'], extra: null, moved: '', file: '/dev/null' })
  })

  it.each<Record<string, string>>([
    { NODE_OPTIONS: '--use-bundled-ca' },
    { NODE_OPTIONS: '--max-old-space-size=512 --use-openssl-ca' },
    { NODE_USE_SYSTEM_CA: '1' },
  ])('changes nothing when the user chose a CA store (%o), and drops a stale hand-over variable', (chosen) => {
    const seen = run({ ...chosen, NODE_EXTRA_CA_CERTS: '/etc/my-ca.pem', OPENC2C_NODE_EXTRA_CA_CERTS: '/stale.pem', SSL_CERT_FILE: '/etc/ssl/cert.pem' })
    // execArgv lists command-line flags only (not NODE_OPTIONS): the launcher added none.
    expect(seen).toMatchObject({ flags: [], extra: '/etc/my-ca.pem', moved: null, file: '/etc/ssl/cert.pem', dir: null })
  })

  it('leaves the certificate store to Node when built without the settings (a Node that trusts OpenSSL by default)', () => {
    expect(run({ NODE_EXTRA_CA_CERTS: '/etc/my-ca.pem', OPENC2C_NODE_EXTRA_CA_CERTS: '/stale.pem' }, { certificateStoreLine: false })).toEqual({
      flags: [],
      args: ['a b', '--version'],
      extra: '/etc/my-ca.pem',
      moved: null,
      file: null,
      dir: null,
    })
  })

  // The resident host names a fast launch from the environment Terraform started the shell with
  // (host/doorbell.ts), so it must work out line 2's result exactly as the shell does.
  it.each<[Record<string, string>, boolean]>([
    [{}, true],
    [{ NODE_EXTRA_CA_CERTS: '/etc/my ca.pem', SSL_CERT_FILE: '/etc/ssl/cert.pem', SSL_CERT_DIR: '/etc/ssl/certs' }, true],
    [{ NODE_OPTIONS: '--use-bundled-ca', NODE_EXTRA_CA_CERTS: '/etc/my-ca.pem', OPENC2C_NODE_EXTRA_CA_CERTS: '/stale.pem' }, true],
    [{ NODE_OPTIONS: '--max-old-space-size=512 --use-openssl-ca', SSL_CERT_FILE: '/x.pem' }, true],
    [{ NODE_OPTIONS: '--no-warnings', NODE_USE_SYSTEM_CA: '1' }, true],
    [{ NODE_USE_SYSTEM_CA: '' }, true],
    [{ OPENC2C_NODE_EXTRA_CA_CERTS: '/stale.pem' }, true],
    [{ NODE_EXTRA_CA_CERTS: '/etc/my-ca.pem', OPENC2C_NODE_EXTRA_CA_CERTS: '/stale.pem' }, false],
  ])('afterCertificateStoreLine(%o, line %s) works out what the shell leaves for Node', (env, certificateStoreLine) => {
    const shell = run(env, { certificateStoreLine })
    const twin = afterCertificateStoreLine({ PATH: process.env.PATH ?? '', ...env }, certificateStoreLine)
    expect({ flags: shell.flags, extra: shell.extra, moved: shell.moved, file: shell.file, dir: shell.dir }).toEqual({
      flags: twin.flags,
      extra: twin.env.NODE_EXTRA_CA_CERTS ?? null,
      moved: twin.env.OPENC2C_NODE_EXTRA_CA_CERTS ?? null,
      file: twin.env.SSL_CERT_FILE ?? null,
      dir: twin.env.SSL_CERT_DIR ?? null,
    })
  })
})
