// gRPC service definitions for the provider and the go-plugin side services, built straight from the
// protobufjs descriptor embedded at build time, in the shape @grpc/grpc-js takes (grpc.ServiceDefinition):
// the provider's server and the tests' clients (which play Terraform) both use them. @grpc/proto-loader
// would also work, but it converts every type into a full FileDescriptorProto for reflection we never use:
// ≈20 ms of each launch, and Terraform launches the provider 2–5 times per command.
//
// Only types are imported from grpc-js here, so the build (packaging/bundle.ts) can serialize the schema
// response with these definitions without loading a gRPC server.

import type * as grpc from '@grpc/grpc-js'
import protobuf from 'protobufjs/light.js'
import { protocolDescriptor } from '../proto/descriptor.js'

// Field names stay as on the wire (snake_case, the descriptor keeps case); int64 as JS numbers (schema
// versions, list indexes); enums by name ("ERROR"); absent scalars read as 0/""/false; a oneof also
// reports which member is set.
const CONVERSION: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, oneofs: true }

export const SERVICE_NAMES = {
  provider: 'tfplugin6.Provider',
  health: 'grpc.health.v1.Health',
  controller: 'plugin.GRPCController',
  stdio: 'plugin.GRPCStdio',
  broker: 'plugin.GRPCBroker',
} as const

export type ServiceKey = keyof typeof SERVICE_NAMES

export type ServiceDefinitions = Record<ServiceKey, grpc.ServiceDefinition>

/**
 * A response already in protobuf form (plugin/prebuilt.ts): a handler may answer with one, and the
 * response serializer sends its bytes as they are instead of encoding an object.
 */
export class SerializedResponse {
  constructor(readonly bytes: Buffer) {}
}

let cached: ServiceDefinitions | undefined
let root: protobuf.Root | undefined

/**
 * The services' method tables. Paths and streaming flags come straight from the descriptor; the protobufjs
 * types behind each method's (de)serializers are built on first use (or by warmUpDefinitions), so a launch
 * does not pay for them before it prints the handshake line.
 */
export function serviceDefinitions(): ServiceDefinitions {
  if (cached) return cached
  const descriptor = protocolDescriptor()
  const definitions = {} as ServiceDefinitions
  for (const [key, name] of Object.entries(SERVICE_NAMES) as Array<[ServiceKey, string]>) definitions[key] = serviceDefinition(descriptor, name)
  cached = definitions
  return cached
}

/** Builds every method's protobufjs types now; main.ts calls it right after the handshake, while Terraform
 * sets up its TLS connection. */
export function warmUpDefinitions(): void {
  lookupRoot()
}

function lookupRoot(): protobuf.Root {
  root ??= protobuf.Root.fromJSON(protocolDescriptor())
  return root
}

interface MethodJson {
  requestType: string
  responseType: string
  requestStream?: boolean
  responseStream?: boolean
}

function serviceDefinition(descriptor: protobuf.INamespace, serviceName: string): grpc.ServiceDefinition {
  let namespace: protobuf.INamespace | undefined = descriptor
  for (const part of serviceName.split('.')) namespace = namespace?.nested?.[part] as protobuf.INamespace | undefined
  const methods = (namespace as { methods?: Record<string, MethodJson> } | undefined)?.methods
  if (!methods) throw new Error(`no service ${serviceName} in the protocol descriptor`)
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {}
  for (const [name, method] of Object.entries(methods)) {
    let types: { request: protobuf.Type; response: protobuf.Type } | undefined
    const resolve = (): { request: protobuf.Type; response: protobuf.Type } => {
      if (types) return types
      const resolved = lookupRoot().lookupService(serviceName).methods[name] as protobuf.Method
      resolved.resolve()
      types = { request: resolved.resolvedRequestType as protobuf.Type, response: resolved.resolvedResponseType as protobuf.Type }
      return types
    }
    const serialize = (type: protobuf.Type, value: object): Buffer => {
      if (value instanceof SerializedResponse) return value.bytes
      const bytes = type.encode(type.fromObject(value)).finish()
      // A view, not a copy: grpc-js copies the message into its length-prefixed frame anyway.
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    }
    definition[name] = {
      path: `/${serviceName}/${name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: (value: object) => serialize(resolve().request, value),
      requestDeserialize: (bytes: Buffer) => resolve().request.toObject(resolve().request.decode(bytes), CONVERSION),
      responseSerialize: (value: object) => serialize(resolve().response, value),
      responseDeserialize: (bytes: Buffer) => resolve().response.toObject(resolve().response.decode(bytes), CONVERSION),
      originalName: name,
    }
  }
  return definition
}
