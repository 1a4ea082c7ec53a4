// The launcher section of the provider file (packaging/executable.ts): the loader calls it with Node's
// require and `runProgram`, which compiles and runs the provider in this process. The build fills in
// BUILD_ID, a digest of the program, and CERTIFICATE_STORE_LINE, whether the file's line 2 has the
// certificate-store settings (packaging/bundle.ts).

import { launch } from './launcher.js'

/** The working directory, or '' when it was deleted (then the launch runs in-process). */
function workingDirectory(): string {
  try {
    return process.cwd()
  } catch {
    return ''
  }
}

declare const runProgram: () => void
declare const BUILD_ID: string
declare const CERTIFICATE_STORE_LINE: boolean

launch({
  argv: process.argv.slice(2),
  env: process.env,
  file: process.argv[1] ?? '',
  execPath: process.execPath,
  execArgv: process.execArgv,
  cwd: workingDirectory(),
  buildId: BUILD_ID,
  certificateStoreLine: CERTIFICATE_STORE_LINE,
  uid: process.getuid?.() ?? -1,
  runProgram,
})
