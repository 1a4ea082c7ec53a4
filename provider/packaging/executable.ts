// The text of the shipped executable: one shell line that execs node on a small loader, the bundled
// program, and a V8 code cache for it (code-cache.ts).
//
// Why the shell line: Terraform runs the file as .terraform/providers/.../terraform-provider-openc2c_v0.1.0
// inside the user's directory, where a package.json with "type": "module" may sit above it, and Node then
// refuses the ".0" extension (ERR_UNKNOWN_FILE_EXTENSION). Code given with `-e` and `--input-type=commonjs`
// is never type-detected. `exec` replaces the shell, so the launched process is node itself.
//
// Why the loader: Node 20 has no compile cache for scripts, so the loader compiles the program with
// vm.Script and hands V8 the cache the build made. A Node other than the one that built the file rejects
// the cache and compiles as usual; `--version` says which happened.

const PROGRAM_MARK = '\n//@program\n'
const CACHE_MARK = '\n//@cache\n'

/** The loader, one line of JavaScript inside single quotes on the sh line (so: no single quote in it).
 * process.argv[1] is the file itself, as with `node file`, so the program's own arguments start at argv[2]. */
function loaderSource(): string {
  const source = [
    'var fs = require("node:fs"), vm = require("node:vm");',
    'var file = fs.readFileSync(process.argv[1]);',
    `var start = file.indexOf(${JSON.stringify(PROGRAM_MARK)}) + ${PROGRAM_MARK.length};`,
    `var end = file.lastIndexOf(${JSON.stringify(CACHE_MARK)});`,
    `var cache = file.toString("latin1", end + ${CACHE_MARK.length}).trim();`,
    'var script = new vm.Script(file.toString("utf8", start, end), { filename: "terraform-provider-openc2c.js", cachedData: cache ? Buffer.from(cache, "base64") : undefined });',
    'globalThis.__openc2cCodeCache = cache === "" ? "none" : script.cachedDataRejected ? "rejected" : "accepted";',
    'var out = process.env.OPENC2C_WRITE_CODE_CACHE;',
    'if (out) process.on("exit", function () { fs.writeFileSync(out, script.createCachedData()) });',
    'script.runInThisContext()(require);',
  ].join(' ')
  if (source.includes("'")) throw new Error('the loader must not contain a single quote')
  return source
}

export function executableText(program: string, codeCacheBase64: string): string {
  return [
    '#!/bin/sh',
    `exec node --input-type=commonjs -e '${loaderSource()}' "$0" "$@"`,
    '// terraform-provider-openc2c: a Terraform provider (plugin protocol 6), run by Terraform. See provider/README.md.',
    '//@program',
    `(function (require) {\n${program}\n})`,
    '//@cache',
    codeCacheBase64,
    '',
  ].join('\n')
}
