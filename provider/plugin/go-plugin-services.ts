// The side services a go-plugin host talks to besides the provider itself: health (service "plugin"),
// the controller whose Shutdown ends the process, the stdio stream and the connection broker. The last two
// carry nothing for a Terraform provider; we hold their streams open until shutdown so the host sees a
// clean EOF instead of logging errors.

import type * as grpc from '@grpc/grpc-js'

export interface GoPluginServices {
  health: grpc.UntypedServiceImplementation
  controller: grpc.UntypedServiceImplementation
  stdio: grpc.UntypedServiceImplementation
  broker: grpc.UntypedServiceImplementation
  /** Ends the open streams; call before shutting the server down. */
  endStreams(): void
}

export function goPluginServices(onShutdownRequested: () => void): GoPluginServices {
  const openStreams = new Set<grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>>()
  const track = (stream: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>): void => {
    openStreams.add(stream)
    stream.on('cancelled', () => openStreams.delete(stream))
    stream.on('error', () => openStreams.delete(stream))
  }
  return {
    health: {
      Check(_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
        callback(null, { status: 'SERVING' })
      },
    },
    controller: {
      Shutdown(_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
        callback(null, {})
        // Answer first, then stop: the host waits for the reply before it waits for the process.
        setImmediate(onShutdownRequested)
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
        call.on('data', () => {})
        call.on('end', () => {
          openStreams.delete(call)
          call.end()
        })
      },
    },
    endStreams() {
      for (const stream of openStreams) stream.end()
      openStreams.clear()
    },
  }
}
