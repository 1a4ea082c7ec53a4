// The loopback HTTP listener under every fake receiver. Its close() ends open connections too (a hung
// request, an idle keep-alive socket), so a test's afterEach never waits on a client's timeout.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ListenOptions {
  /** Interface to bind. Default 127.0.0.1. */
  host?: string
  /** Port; 0 (default) picks a free one. */
  port?: number
}

export interface Listener {
  readonly port: number
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** Aborted when close() starts: pending delays end early instead of holding the process. */
  readonly closing: AbortSignal
  close(): Promise<void>
}

export async function startListener(opts: ListenOptions, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listener> {
  const host = opts.host ?? '127.0.0.1'
  const server = createServer(handle)
  // A fake is a test's peer: a client that stalls mid-body should meet the client's own timeout, not ours.
  server.requestTimeout = 0
  server.headersTimeout = 0
  server.on('clientError', (_err, socket) => socket.destroy())
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const controller = new AbortController()
  let closed: Promise<void> | undefined
  return {
    port,
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    closing: controller.signal,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        controller.abort()
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closed
    },
  }
}

/** Waits `ms`; resolves early (false) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
