// Runs the openc2c service the way `npm start` does (the esbuild bundle, with the start script's node
// flags and environment), as a child process whose logs go to <dataDir>/service.log, and resolves
// once it listens.
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { serviceLaunch } from '../../test/helpers/service-bundle.js'

export interface ServiceProcess {
  baseUrl: string
  child: ChildProcess
  logFile: string
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>
}

export async function startServiceProcess(root: string, dataDir: string, env: Record<string, string>): Promise<ServiceProcess> {
  const logFile = path.join(dataDir, 'service.log')
  const log = fs.createWriteStream(logFile, { flags: 'a' })
  const launch = await serviceLaunch()
  const childEnv: Record<string, string> = { ...(process.env as Record<string, string>), ...launch.env, HOST: '127.0.0.1', OPENC2C_DATA_DIR: dataDir, ...env }
  // The demo always runs on the embedded database, whatever the shell exports.
  delete childEnv.DATABASE_URL
  const child = spawn(process.execPath, launch.args, { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let head = ''
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log.write(chunk)
      if (head.length < 1_000_000) head += chunk.toString()
      const match = /"address":"(http:\/\/[^"]+)".*"msg":"openc2c listening"/.exec(head)
      if (match) resolve(match[1]!)
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    void exited.then(() => reject(new Error(`the service exited before listening; see ${logFile}:\n${head.slice(-2000)}`)))
  })
  head = ''
  return {
    baseUrl,
    child,
    logFile,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
      log.end()
    },
  }
}
