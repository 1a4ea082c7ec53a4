// The side services a go-plugin host talks to besides the provider itself: health (service "plugin"),
// the controller whose Shutdown ends the process, the stdio stream and the connection broker. The last two
// carry nothing for a Terraform provider; we hold their streams open until shutdown so the host sees a
// clean EOF instead of logging errors.

import type * as grpc from '@grpc/grpc-js'
import { finished } from 'node:stream'

type OpenStream = grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>

// How long a Shutdown reply waits for the held-open streams to send their final status. Ending a stream
// takes a tick or two; the cap only matters if one never finishes, and the host kills us ≈2 s after Shutdown.
const END_STREAMS_MAX_MS = 200

export interface GoPluginServices {
  health: grpc.UntypedServiceImplementation
  controller: grpc.UntypedServiceImplementation
  stdio: grpc.UntypedServiceImplementation
  broker: grpc.UntypedServiceImplementation
  /** Ends the open streams with status OK; resolves once their trailers are written (or after a short cap). */
  endStreams(): Promise<void>
}

export interface GoPluginServicesOptions {
  /** Called after Shutdown has been answered. */
  onShutdownRequested: () => void
  /** End the open streams before answering Shutdown (false in reattach mode, where the process outlives
   * each Terraform command and Shutdown is ignored). */
  endStreamsOnShutdown: boolean
}

export function goPluginServices(options: GoPluginServicesOptions): GoPluginServices {
  const openStreams = new Set<OpenStream>()
  const track = (stream: OpenStream): void => {
    openStreams.add(stream)
    stream.on('cancelled', () => openStreams.delete(stream))
    stream.on('error', () => openStreams.delete(stream))
  }
  const endStreams = (): Promise<void> => {
    const ending = [...openStreams].map(
      (stream) =>
        new Promise<void>((resolve) => {
          // grpc-js writes the OK trailers in the stream's _final, just before 'finish'; `finished` also
          // settles for a stream the host has already cancelled.
          finished(stream, { readable: false }, () => resolve())
          stream.end()
        }),
    )
    openStreams.clear()
    if (ending.length === 0) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const cap = setTimeout(resolve, END_STREAMS_MAX_MS)
      void Promise.all(ending).then(() => {
        clearTimeout(cap)
        resolve()
      })
    })
  }
  return {
    health: {
      Check(_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
        callback(null, { status: 'SERVING' })
      },
    },
    controller: {
      Shutdown(_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
        // go-plugin closes its connection as soon as it has the reply, so the stdio stream must end first:
        // then the host logs a clean EOF rather than a cancelled stream.
        const ready = options.endStreamsOnShutdown ? endStreams() : Promise.resolve()
        void ready.then(() => {
          callback(null, {})
          // Answer first, then stop: the host waits for the reply before it waits for the process.
          setImmediate(options.onShutdownRequested)
        })
      },
    },
    stdio: {
      StreamStdio(call: grpc.ServerWritableStream<unknown, unknown>) {
        track(call)
      },
    },
    broker: {
      StartStream(call: grpc.ServerDuplexStream<unknown, unknown>) {
        track(call)
        call.on('data', () => {}) // go-plugin's broker may send; a provider has nothing to do with it
        // A bidirectional stream is over when the host ends its side.
        call.on('end', () => {
          openStreams.delete(call)
          call.end()
        })
      },
    },
    endStreams,
  }
}
