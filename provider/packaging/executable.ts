// The text of the shipped executable: a small loader around the bundled program, plus a V8 code cache
// for that program.
//
// Why a loader: Terraform starts the provider 2–5 times per command, and compiling the bundle is a large
// part of what a launch costs beyond bare `node` (measured on 2 cores with the 0.67 MiB grpc-js bundle:
// ≈215 ms to the handshake line without a cache, ≈135 ms with it, `node -e 0` ≈105 ms). Node 20 has no
// compile cache for scripts run from a file, so the loader compiles the program itself with vm.Script and
// hands V8 the cache that the build produced (code-cache.ts). The cache travels inside this one file.
// When the running Node differs from the one that built the file, V8 rejects the cache and compiles as
// usual: slower, never wrong. `terraform-provider-openc2c --version` says which happened.
//
// Start: the file is a shell script whose last shell line runs node with a small loader given by `-e`; the
// loader reads this very file ("$0") and compiles the program that follows the //@program line, with the
// cache after the //@cache line. Terraform runs the file from .terraform/providers inside the user's working
// directory, where any package.json may sit above it, and the file must be named
// terraform-provider-openc2c_v0.1.0: under "type": "module" Node refuses to load a file whose "extension"
// is ".0" (ERR_UNKNOWN_FILE_EXTENSION; a CDKTF project with ESM TypeScript is exactly that case). Code given
// with `-e` and `--input-type=commonjs` never goes through file-type detection. An earlier version fed the
// whole file to node on stdin instead: reading ≈0.6 MB from stdin and parsing it as one script cost ≈20 ms
// of every launch (measured, 21 alternating runs of `--version`: 129 ms vs 109 ms, bare node 97 ms).
//
// Before that, line 2 takes certificate-store work off every launch (the why, and how an https endpoint
// still gets Node's usual trust: client/https-trust.ts): --use-openssl-ca with OpenSSL's default paths set
// to /dev/null, so no TLS context parses a root store, and NODE_EXTRA_CA_CERTS moved to
// OPENC2C_NODE_EXTRA_CA_CERTS, so Node does not load it at start-up. Measured: spawn → handshake line
// 198 → 112 ms with NODE_EXTRA_CA_CERTS set, 157 → 114 ms without (median of 15 alternating launches each).
// The line changes nothing when the user chose a CA store (--use-openssl-ca, --use-bundled-ca or
// --use-system-ca in NODE_OPTIONS, or NODE_USE_SYSTEM_CA; Node would also refuse two of those flags at
// once), and the build leaves it out on a Node that trusts OpenSSL's store by default (bundle.ts). Flags
// written in quotes inside NODE_OPTIONS are not recognised.
//
// Between the comment line and the program sits the launcher (host/launcher.ts, after //@launcher): the loader
// runs it first and hands it a function that compiles and runs the program. A launch served by the resident
// host (host/host.ts) never compiles the program; every other start calls that function.
//
// With a launcher, line 3 is the fast launch (host/shell-launch.ts): when a host for this build is running,
// the shell gets the launch served without starting Node at all, and exits there; otherwise it goes on to
// line 4. The shell never reads past the `exec node` line (exec replaces it). process.argv[1] is the file
// itself, as with `node file`, so the program's own arguments start at argv[2].

import { fastLaunchLine } from '../host/shell-launch.js'

const LAUNCHER_MARK = '\n//@launcher\n'
const PROGRAM_MARK = '\n//@program\n'
const CACHE_MARK = '\n//@cache\n'

/** The launcher must lie within the first bytes of the file, which is all a launch served by the host reads. */
export const HEAD_BYTES = 65_536

/** The loader, one line of JavaScript inside single quotes on the sh line (so: no single quote in it). */
function loaderSource(): string {
  const source = [
    'var fs = require("node:fs"), vm = require("node:vm"), path = process.argv[1];',
    'function run() {',
    'var file = fs.readFileSync(path);',
    `var start = file.indexOf(${JSON.stringify(PROGRAM_MARK)}) + ${PROGRAM_MARK.length};`,
    `var end = file.lastIndexOf(${JSON.stringify(CACHE_MARK)});`,
    `var cache = file.toString("latin1", end + ${CACHE_MARK.length}).trim();`,
    'var script = new vm.Script(file.toString("utf8", start, end), { filename: "terraform-provider-openc2c.js", cachedData: cache ? Buffer.from(cache, "base64") : undefined });',
    'globalThis.__openc2cCodeCache = cache === "" ? "none" : script.cachedDataRejected ? "rejected" : "accepted";',
    'var out = process.env.OPENC2C_WRITE_CODE_CACHE;',
    'if (out) process.on("exit", function () { fs.writeFileSync(out, script.createCachedData()) });',
    'script.runInThisContext()(require);',
    '}',
    `var head = Buffer.alloc(${HEAD_BYTES}), fd = fs.openSync(path, "r");`,
    'fs.readSync(fd, head, 0, head.length, 0); fs.closeSync(fd);',
    `var launcher = head.indexOf(${JSON.stringify(LAUNCHER_MARK)}), program = head.indexOf(${JSON.stringify(PROGRAM_MARK)});`,
    'if (launcher < 0 || program < launcher) run();',
    `else vm.runInThisContext(head.toString("utf8", launcher + ${LAUNCHER_MARK.length}, program), { filename: "terraform-provider-openc2c-launcher.js" })(require, run);`,
  ].join(' ')
  if (source.includes("'")) throw new Error('the loader must not contain a single quote')
  return source
}

/** Line 2: POSIX sh, leaves `$ca` holding the Node flag to add (or nothing). */
export const CERTIFICATE_STORE_LINE = [
  'ca=--use-openssl-ca; case " ${NODE_OPTIONS-} ${NODE_USE_SYSTEM_CA:+--use-system-ca} " in',
  '*" --use-openssl-ca"*|*" --use-bundled-ca"*|*" --use-system-ca"*) ca=; unset OPENC2C_NODE_EXTRA_CA_CERTS ;;',
  '*) export OPENC2C_NODE_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS-}" SSL_CERT_FILE=/dev/null SSL_CERT_DIR=/dev/null; unset NODE_EXTRA_CA_CERTS ;; esac',
].join(' ')

/** Line 2 without the certificate-store settings, for a Node that trusts OpenSSL's store by default. */
const NO_CERTIFICATE_STORE_LINE = 'ca=; unset OPENC2C_NODE_EXTRA_CA_CERTS'

const STORE_FLAGS = [' --use-openssl-ca', ' --use-bundled-ca', ' --use-system-ca']

/**
 * What line 2 leaves for Node: the environment it exports and the flag it adds. The resident host works
 * this out for launches it learns of through /proc (host/doorbell.ts), whose environment is the one
 * Terraform started the shell with; test/provider/packaging/executable.test.ts holds it to the shell's own
 * result.
 */
export function afterCertificateStoreLine(env: NodeJS.ProcessEnv, certificateStoreLine: boolean): { env: NodeJS.ProcessEnv; flags: string[] } {
  const out = { ...env }
  const options = ` ${env.NODE_OPTIONS ?? ''} ${env.NODE_USE_SYSTEM_CA ? '--use-system-ca' : ''} `
  if (!certificateStoreLine || STORE_FLAGS.some((flag) => options.includes(flag))) {
    delete out.OPENC2C_NODE_EXTRA_CA_CERTS
    return { env: out, flags: [] }
  }
  out.OPENC2C_NODE_EXTRA_CA_CERTS = env.NODE_EXTRA_CA_CERTS ?? ''
  out.SSL_CERT_FILE = '/dev/null'
  out.SSL_CERT_DIR = '/dev/null'
  delete out.NODE_EXTRA_CA_CERTS
  return { env: out, flags: ['--use-openssl-ca'] }
}

export interface ExecutableOptions {
  /** Include the certificate-store settings of line 2 (default true). */
  certificateStoreLine?: boolean
  /** The launcher (host/launcher.ts, bundled), run before the program; absent: the program runs directly. */
  launcher?: string
  /** With a launcher: the build's id, which names its hosts' doorbell (host/shell-launch.ts); the fast launch
   * line is left out without it. */
  buildId?: string
}

export function executableText(program: string, codeCacheBase64: string, options: ExecutableOptions = {}): string {
  const text = [
    '#!/bin/sh',
    (options.certificateStoreLine ?? true) ? CERTIFICATE_STORE_LINE : NO_CERTIFICATE_STORE_LINE,
    ...(options.launcher !== undefined && options.buildId !== undefined ? [fastLaunchLine(options.buildId)] : []),
    `exec node $ca --input-type=commonjs -e '${loaderSource()}' "$0" "$@"`,
    '// terraform-provider-openc2c: a Terraform provider (plugin protocol 6), run by Terraform. See provider/README.md.',
    ...(options.launcher === undefined ? [] : ['//@launcher', `(function (require, runProgram) {\n${options.launcher}\n})`]),
    '//@program',
    `(function (require) {\n${program}\n})`,
    '//@cache',
    codeCacheBase64,
    '',
  ].join('\n')
  if (options.launcher !== undefined && Buffer.byteLength(text.slice(0, text.indexOf(PROGRAM_MARK) + PROGRAM_MARK.length)) > HEAD_BYTES) {
    throw new Error(`the launcher must end within the file's first ${HEAD_BYTES} bytes`)
  }
  return text
}
