// Where the gRPC server listens: a unix socket in a fresh folder that only this user can enter (mkdtemp
// makes it 0700), as go-plugin servers listen on Unix. A loopback TCP port would be open to every local
// user, and in reattach mode nothing but the socket's folder keeps them out (there is no TLS there).
// The folder sits under PLUGIN_UNIX_SOCKET_DIR when the host names one (go-plugin's variable), else under
// the temporary directory, and goes when the process exits.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// A unix socket address holds 108 bytes on Linux and 104 on macOS, the terminating NUL included.
const MAX_SOCKET_PATH_BYTES = 103

export interface SocketDirectory {
  socketPath: string
  /** Removes the folder and the socket in it; safe to call more than once. */
  remove(): void
}

export function createSocketDirectory(env: NodeJS.ProcessEnv = process.env): SocketDirectory {
  const parent = env.PLUGIN_UNIX_SOCKET_DIR || tmpdir()
  const directory = mkdtempSync(join(parent, 'openc2c-plugin-'))
  const socketPath = join(directory, 'grpc.sock')
  let removed = false
  const remove = (): void => {
    if (removed) return
    removed = true
    process.off('exit', remove)
    rmSync(directory, { recursive: true, force: true })
  }
  process.on('exit', remove)
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    remove()
    throw new Error(`the socket path ${socketPath} is too long for a unix socket; set TMPDIR to a shorter folder`)
  }
  return { socketPath, remove }
}
