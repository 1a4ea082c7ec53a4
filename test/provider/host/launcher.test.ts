import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { claimStart, digest128, hostSocketPath, privateDirectory, safeParent } from '../../../provider/host/launcher.js'
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../../provider/plugin/handshake.js'

const uid = process.getuid?.() ?? 0
let runtimeDir: string

beforeEach(() => {
  runtimeDir = mkdtempSync(join(tmpdir(), 'openc2c-launcher-'))
})
afterEach(() => rmSync(runtimeDir, { recursive: true, force: true }))

function context(overrides: { argv?: string[]; env?: NodeJS.ProcessEnv; buildId?: string; execArgv?: string[]; cwd?: string } = {}) {
  return {
    argv: overrides.argv ?? [],
    env: { XDG_RUNTIME_DIR: runtimeDir, PATH: '/usr/bin', TZ: 'UTC', [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_CLIENT_CERT: 'pem-1', ...overrides.env },
    file: '/work/.terraform/providers/terraform-provider-openc2c_v0.1.0',
    execPath: '/usr/bin/node',
    execArgv: overrides.execArgv ?? ['--use-openssl-ca', '-e', 'loader'],
    cwd: overrides.cwd ?? '/work',
    buildId: overrides.buildId ?? 'build-a',
    uid,
  }
}

describe('hostSocketPath', () => {
  it('puts the socket in a private folder of the runtime directory', () => {
    const path = hostSocketPath(context())
    expect(path).toMatch(new RegExp(`^${runtimeDir}/openc2c-${uid}/[0-9a-f]{24}\\.sock$`))
    expect(lstatSync(dirname(path!)).mode & 0o777).toBe(0o700)
  })

  it('is the same for launches that differ only in session variables or in variables the host does not get', () => {
    const first = hostSocketPath(context())
    const second = hostSocketPath(context({ env: { PLUGIN_CLIENT_CERT: 'pem-2', TF_LOG: 'trace', OPENC2C_ACCESS_KEY: 'other', OPENC2C_ENDPOINT: 'http://x', PATH: '/opt/bin', AWS_PROFILE: 'x' } }))
    expect(second).toBe(first)
  })

  it('differs when the build, the Node flags, the working directory or any host variable differ', () => {
    const base = hostSocketPath(context())
    const variants = [
      hostSocketPath(context({ buildId: 'build-b' })),
      hostSocketPath(context({ execArgv: ['--use-bundled-ca', '-e', 'loader'] })),
      hostSocketPath(context({ cwd: '/work/other' })),
      hostSocketPath(context({ env: { NODE_OPTIONS: '--max-old-space-size=64' } })),
      hostSocketPath(context({ env: { OPENC2C_NODE_EXTRA_CA_CERTS: '/etc/ca.pem' } })),
      hostSocketPath(context({ env: { TZ: 'Europe/Paris' } })),
    ]
    expect(new Set([base, ...variants]).size).toBe(7)
  })

  it('runs in-process (no socket) for --version, --debug, a launch without the cookie, or the host turned off', () => {
    expect(hostSocketPath(context({ argv: ['--version'] }))).toBeUndefined()
    expect(hostSocketPath(context({ argv: ['--debug'] }))).toBeUndefined()
    expect(hostSocketPath(context({ env: { [MAGIC_COOKIE_KEY]: 'nope' } }))).toBeUndefined()
    expect(hostSocketPath(context({ env: { OPENC2C_PROVIDER_HOST: 'off' } }))).toBeUndefined()
    expect(hostSocketPath(context({ env: { OPENC2C_PROVIDER_HOST_IDLE_SECONDS: '0' } }))).toBeUndefined()
  })

  it('runs in-process when the working directory is gone', () => {
    expect(hostSocketPath(context({ cwd: '' }))).toBeUndefined()
  })

  it('runs in-process when the socket path would not fit in a unix socket address', () => {
    const deep = join(runtimeDir, 'x'.repeat(60))
    mkdirSync(deep)
    expect(hostSocketPath(context({ env: { XDG_RUNTIME_DIR: deep } }))).toBeUndefined()
  })

  it('runs in-process when others could swap the socket folder (its parent is writable by them, without the sticky bit)', () => {
    const shared = join(runtimeDir, 'shared')
    mkdirSync(shared)
    chmodSync(shared, 0o777)
    expect(hostSocketPath(context({ env: { XDG_RUNTIME_DIR: shared } }))).toBeUndefined()
    chmodSync(shared, 0o1777)
    expect(hostSocketPath(context({ env: { XDG_RUNTIME_DIR: shared } }))).toMatch(/\.sock$/)
  })

  it('ignores a relative XDG_RUNTIME_DIR', () => {
    expect(hostSocketPath(context({ env: { XDG_RUNTIME_DIR: 'relative/dir' } }))).toMatch(new RegExp(`^${tmpdir()}/openc2c-${uid}/`))
  })
})

describe('privateDirectory', () => {
  it('creates the folder for this user only', () => {
    const dir = join(runtimeDir, 'sockets')
    expect(privateDirectory(dir, uid)).toBe(true)
    expect(lstatSync(dir).mode & 0o777).toBe(0o700)
    expect(privateDirectory(dir, uid)).toBe(true)
  })

  it('refuses a folder others can enter, a folder of another user, and a link', () => {
    const open = join(runtimeDir, 'open')
    mkdirSync(open, { mode: 0o700 })
    chmodSync(open, 0o755)
    expect(privateDirectory(open, uid)).toBe(false)

    const mine = join(runtimeDir, 'mine')
    expect(privateDirectory(mine, uid)).toBe(true)
    expect(privateDirectory(mine, uid + 1)).toBe(false)

    const link = join(runtimeDir, 'link')
    symlinkSync(mine, link)
    expect(privateDirectory(link, uid)).toBe(false)
  })

  it('refuses a path it cannot create', () => {
    expect(privateDirectory(join(runtimeDir, 'missing', 'deeper'), uid)).toBe(false)
  })
})

describe('digest128', () => {
  it('is 32 hex digits, the same for the same text, and differs for texts one character apart', () => {
    expect(digest128('{"PATH":"/usr/bin"}')).toMatch(/^[0-9a-f]{32}$/)
    expect(digest128('{"PATH":"/usr/bin"}')).toBe(digest128('{"PATH":"/usr/bin"}'))
    const texts = Array.from({ length: 2000 }, (_, i) => `{"PATH":"/usr/bin","N":"${i}"}`)
    texts.push('a', 'b', 'ab', 'ba', '')
    expect(new Set(texts.map(digest128)).size).toBe(texts.length)
  })
})

describe('safeParent', () => {
  it("accepts the user's or root's folders that others cannot write, or can only with the sticky bit", () => {
    expect(safeParent(runtimeDir, uid)).toBe(true)
    expect(safeParent(tmpdir(), uid)).toBe(true) // root's, 1777
    expect(safeParent(runtimeDir, uid + 1)).toBe(uid === 0) // root's folders are trusted for anyone
    chmodSync(runtimeDir, 0o775)
    expect(safeParent(runtimeDir, uid)).toBe(false)
    chmodSync(runtimeDir, 0o1775)
    expect(safeParent(runtimeDir, uid)).toBe(true)
    chmodSync(runtimeDir, 0o700)
    expect(safeParent(join(runtimeDir, 'missing'), uid)).toBe(false)
  })
})

describe('claimStart', () => {
  it('lets one launch start the host, and another only once the claim is older than 10 s', () => {
    const socket = join(runtimeDir, 'host.sock')
    expect(claimStart(socket)).toBe(true)
    expect(claimStart(socket)).toBe(false)
    expect(lstatSync(`${socket}.starting`).mode & 0o777).toBe(0o600)
    expect(claimStart(socket, Date.now() + 9_000)).toBe(false)
    expect(claimStart(socket, Date.now() + 11_000)).toBe(true)
  })

  it('claims nothing where it cannot write', () => {
    expect(claimStart(join(runtimeDir, 'missing', 'host.sock'))).toBe(false)
  })
})
