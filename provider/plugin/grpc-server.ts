// A minimal gRPC server on node:http2: exactly what a go-plugin host needs from a provider, and nothing more.
//
// Why not @grpc/grpc-js: Terraform starts the provider 2–5 times per command and sends one unary call per
// resource and step. grpc-js was most of the bundle (≈60 % of what each launch compiled and evaluated), and
// per call it runs a stream object, interceptors, metadata conversion and channelz bookkeeping (measured:
// ≈1 ms of provider CPU per RPC on the 2-core bench machine, for 100 sources ≈0.2 s of a plan). Here a unary
// call is: collect the DATA frames, decode, run the handler, answer with one DATA frame and trailers.
//
// Wire format (gRPC over HTTP/2): request HEADERS (:path /package.Service/Method, content-type
// application/grpc), DATA holding length-prefixed messages (1 byte compressed flag, 4 bytes big-endian
// length, message); response HEADERS (:status 200, content-type application/grpc), DATA, then trailers
// grpc-status and grpc-message (percent-encoded). An error with no response body is "trailers-only": one
// HEADERS frame with the status in it.
//
// Supported: unary methods; streaming methods (go-plugin's stdio and broker streams) are only held open and
// ended cleanly at shutdown, since a Terraform provider sends nothing on them. No compression (Terraform
// never compresses), no deadlines (a handler finishes or Terraform cancels the stream).

import http2 from 'node:http2'

export interface MethodDefinition {
  path: string
  requestStream: boolean
  responseStream: boolean
  requestSerialize(value: object): Buffer
  requestDeserialize(bytes: Buffer): object
  responseSerialize(value: object): Buffer
  responseDeserialize(bytes: Buffer): object
  originalName: string
}

export type ServiceDefinition = Record<string, MethodDefinition>

export type UnaryHandler = (request: never) => unknown

/** Implementation of a streaming method: the stream is held open until the client ends it or the server
 * closes. */
export const HOLD_OPEN: UnaryHandler = () => undefined

export type ServiceImplementation = Record<string, UnaryHandler>

/** A response already in protobuf form (prebuilt.ts): sent as it is. */
export class SerializedResponse {
  constructor(readonly bytes: Buffer) {}
}

export const Status = { OK: 0, UNKNOWN: 2, INTERNAL: 13, UNIMPLEMENTED: 12, RESOURCE_EXHAUSTED: 8 } as const

export interface TlsOptions {
  /** PEM of the server key and certificate. */
  key: string
  cert: string
  /** PEM of the only CA client certificates may chain to (mTLS). */
  ca: string
}

export interface GrpcServerOptions {
  /** Largest request message accepted, in bytes. */
  maxReceiveBytes: number
}

interface Method {
  definition: MethodDefinition
  handler: UnaryHandler
}

const RESPONSE_HEADERS = { ':status': 200, 'content-type': 'application/grpc' }
const OK_TRAILERS = { 'grpc-status': '0' }

export class GrpcServer {
  private readonly methods = new Map<string, Method>()
  private readonly sessions = new Set<http2.Http2Session>()
  private readonly openStreams = new Set<http2.ServerHttp2Stream>()
  private server: http2.Http2Server | http2.Http2SecureServer | undefined
  private closing: Promise<void> | undefined

  constructor(private readonly options: GrpcServerOptions) {}

  addService(definition: ServiceDefinition, implementation: ServiceImplementation): void {
    for (const [name, method] of Object.entries(definition)) {
      const handler = implementation[name]
      if (!handler) throw new Error(`no implementation for ${method.path}`)
      this.methods.set(method.path, { definition: method, handler })
    }
  }

  /** Listens on host:0 and resolves with the port. */
  listen(host: string, tls?: TlsOptions): Promise<number> {
    // The session buffers whole messages; http2's default 10 MB cap would refuse large plans or states.
    const common = { maxSessionMemory: Math.max(64, Math.ceil((this.options.maxReceiveBytes * 2) / 2 ** 20)) }
    const server = tls
      ? http2.createSecureServer({ ...common, key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: true, rejectUnauthorized: true })
      : http2.createServer(common)
    this.server = server
    server.on('session', (session: http2.Http2Session) => {
      this.sessions.add(session)
      session.on('close', () => this.sessions.delete(session))
      session.on('error', () => {})
    })
    server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => this.onStream(stream, headers))
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, host, () => {
        server.off('error', reject)
        const address = server.address()
        resolve(typeof address === 'object' && address ? address.port : 0)
      })
    })
  }

  /** Ends the held-open streams with OK (go-plugin then logs a clean EOF on its stdio stream). */
  endOpenStreams(): void {
    for (const stream of this.openStreams) endOk(stream)
    this.openStreams.clear()
  }

  /** Ends the open streams with OK, lets in-flight calls finish for up to graceMs, then cuts the rest. */
  close(graceMs: number): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.endOpenStreams()
      const server = this.server
      if (!server) return resolve()
      const force = setTimeout(() => {
        for (const session of this.sessions) session.destroy()
      }, graceMs)
      force.unref()
      server.close(() => {
        clearTimeout(force)
        resolve()
      })
      for (const session of this.sessions) session.close()
    })
    return this.closing
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', () => {})
    const contentType = headers['content-type']
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      respondSafely(stream, () => stream.respond({ ':status': 415 }, { endStream: true }))
      return
    }
    const path = String(headers[':path'])
    const method = this.methods.get(path)
    if (!method) return trailersOnly(stream, Status.UNIMPLEMENTED, `unknown method ${path}`)
    if (method.definition.requestStream || method.definition.responseStream) return this.holdOpen(stream, method.definition.requestStream)
    const chunks: Buffer[] = []
    let received = 0
    let refused = false
    stream.on('data', (chunk: Buffer) => {
      if (refused) return
      received += chunk.length
      if (received > this.options.maxReceiveBytes + 5) {
        refused = true
        trailersOnly(stream, Status.RESOURCE_EXHAUSTED, `request larger than ${this.options.maxReceiveBytes} bytes`)
        return
      }
      chunks.push(chunk)
    })
    stream.on('end', () => {
      if (!refused) this.unary(stream, method, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received))
    })
  }

  private unary(stream: http2.ServerHttp2Stream, method: Method, body: Buffer): void {
    // Exactly one uncompressed length-prefixed message.
    if (body.length < 5 || body.readUInt32BE(1) !== body.length - 5) return trailersOnly(stream, Status.INTERNAL, 'expected exactly one request message')
    if (body[0] !== 0) return trailersOnly(stream, Status.UNIMPLEMENTED, 'compressed messages are not supported')
    let request: object
    try {
      request = method.definition.requestDeserialize(body.subarray(5))
    } catch (error) {
      return trailersOnly(stream, Status.INTERNAL, `could not parse the request: ${error instanceof Error ? error.message : String(error)}`)
    }
    Promise.resolve()
      .then(() => method.handler(request as never))
      .then(
        (response) => {
          const payload = response instanceof SerializedResponse ? response.bytes : method.definition.responseSerialize((response ?? {}) as object)
          const frame = Buffer.allocUnsafe(5 + payload.length)
          frame[0] = 0
          frame.writeUInt32BE(payload.length, 1)
          payload.copy(frame, 5)
          respondSafely(stream, () => {
            stream.respond(RESPONSE_HEADERS, { waitForTrailers: true })
            stream.once('wantTrailers', () => respondSafely(stream, () => stream.sendTrailers(OK_TRAILERS)))
            stream.end(frame)
          })
        },
        (error: unknown) => trailersOnly(stream, Status.UNKNOWN, error instanceof Error ? error.message : String(error)),
      )
  }

  private holdOpen(stream: http2.ServerHttp2Stream, requestStream: boolean): void {
    if (this.closing) return endOk(stream)
    respondSafely(stream, () => stream.respond(RESPONSE_HEADERS, { waitForTrailers: true }))
    this.openStreams.add(stream)
    stream.once('wantTrailers', () => respondSafely(stream, () => stream.sendTrailers(OK_TRAILERS)))
    stream.on('data', () => {}) // go-plugin's broker may send; a provider has nothing to do with it
    // A server-streaming call (stdio) half-closes right after its request: keep answering until shutdown,
    // where go-plugin expects its EOF. A bidirectional one (broker) is over when the host ends its side.
    if (requestStream) {
      stream.on('end', () => {
        this.openStreams.delete(stream)
        respondSafely(stream, () => stream.end())
      })
    }
    stream.on('close', () => this.openStreams.delete(stream))
  }
}

function endOk(stream: http2.ServerHttp2Stream): void {
  respondSafely(stream, () => {
    if (!stream.headersSent) {
      stream.respond({ ...RESPONSE_HEADERS, ...OK_TRAILERS }, { endStream: true })
      return
    }
    stream.end()
  })
}

function trailersOnly(stream: http2.ServerHttp2Stream, code: number, message: string): void {
  respondSafely(stream, () => {
    if (stream.headersSent) {
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR)
      return
    }
    stream.respond({ ...RESPONSE_HEADERS, 'grpc-status': String(code), 'grpc-message': percentEncode(message) }, { endStream: true })
  })
}

/** The client may have gone away (RST_STREAM, connection closed) while a handler ran. */
function respondSafely(stream: http2.ServerHttp2Stream, respond: () => void): void {
  if (stream.destroyed || stream.closed) return
  try {
    respond()
  } catch {
    // the stream closed between the check and the call; nothing to answer
  }
}

/** grpc-message: percent-encode everything outside printable ASCII, and '%' itself (gRPC over HTTP/2). */
export function percentEncode(message: string): string {
  let out = ''
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}
