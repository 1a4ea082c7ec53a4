// The text of the shipped executable: a small loader around the bundled program, plus a V8 code cache
// for that program.
//
// Why a loader: Terraform starts the provider 2–5 times per command, and compiling the ≈670 KiB bundle
// is most of what a launch costs beyond bare `node` (measured on 2 cores: ≈215 ms to the handshake line
// without a cache, ≈135 ms with it, `node -e 0` ≈105 ms). Node 20 has no compile cache for scripts run
// from a file, so the loader compiles the program itself with vm.Script and hands V8 the cache that the
// build produced (code-cache.ts). The cache travels inside this one file, so nothing is read from disk.
// When the running Node differs from the one that built the file, V8 rejects the cache and compiles as
// usual: slower, never wrong. `terraform-provider-openc2c --version` says which happened.
//
// Start: the file is a shell script that hands itself to node as CommonJS on stdin. Terraform runs it
// from .terraform/providers inside the user's working directory, where any package.json may sit above it,
// and the file must be named terraform-provider-openc2c_v0.1.0: under "type": "module" Node refuses to load
// a file whose "extension" is ".0" (ERR_UNKNOWN_FILE_EXTENSION; a CDKTF project with ESM TypeScript is
// exactly that case). `--input-type=commonjs` with the program on stdin sidesteps file-type detection. The
// second line is both valid sh (`:` then exec) and a harmless JS string statement.

export function executableText(program: string, codeCacheBase64: string): string {
  return [
    '#!/bin/sh',
    `':' //; exec node --input-type=commonjs - "$@" < "$0"`,
    '// terraform-provider-openc2c: a Terraform provider (plugin protocol 6), run by Terraform. See provider/README.md.',
    '"use strict";',
    '(function () {',
    '  var builtin = globalThis.process.getBuiltinModule ? function (id) { return globalThis.process.getBuiltinModule(id) } : require;',
    '  var vm = builtin("node:vm");',
    `  var program = ${JSON.stringify(`(function (require) {\n${program}\n})`)};`,
    `  var cache = ${JSON.stringify(codeCacheBase64)};`,
    '  var script = new vm.Script(program, { filename: "terraform-provider-openc2c.js", cachedData: cache ? Buffer.from(cache, "base64") : undefined });',
    '  globalThis.__openc2cCodeCache = cache === "" ? "none" : script.cachedDataRejected ? "rejected" : "accepted";',
    '  var out = globalThis.process.env.OPENC2C_WRITE_CODE_CACHE;',
    '  if (out) globalThis.process.on("exit", function () { builtin("node:fs").writeFileSync(out, script.createCachedData()) });',
    '  script.runInThisContext()(builtin);',
    '})();',
    '',
  ].join('\n')
}
