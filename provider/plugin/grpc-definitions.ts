// gRPC service definitions for the provider and the go-plugin side services, built straight from the
// protobufjs descriptor. @grpc/proto-loader would also work, but it converts every type into a full
// FileDescriptorProto for reflection we never use: ≈20 ms of each launch, and Terraform launches the
// provider 2–5 times per command.

import * as grpc from '@grpc/grpc-js'
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

type ServiceKey = keyof typeof SERVICE_NAMES

export type ServiceDefinitions = Record<ServiceKey, grpc.ServiceDefinition>

let cached: ServiceDefinitions | undefined

export function serviceDefinitions(): ServiceDefinitions {
  if (cached) return cached
  const root = protobuf.Root.fromJSON(protocolDescriptor())
  const definitions = {} as ServiceDefinitions
  for (const [key, name] of Object.entries(SERVICE_NAMES) as Array<[ServiceKey, string]>) definitions[key] = serviceDefinition(root, name)
  cached = definitions
  return cached
}

function serviceDefinition(root: protobuf.Root, serviceName: string): grpc.ServiceDefinition {
  const service = root.lookupService(serviceName)
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {}
  for (const method of service.methodsArray) {
    method.resolve()
    const request = method.resolvedRequestType as protobuf.Type
    const response = method.resolvedResponseType as protobuf.Type
    definition[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: (value: object) => Buffer.from(request.encode(request.fromObject(value)).finish()),
      requestDeserialize: (bytes: Buffer) => request.toObject(request.decode(bytes), CONVERSION),
      responseSerialize: (value: object) => Buffer.from(response.encode(response.fromObject(value)).finish()),
      responseDeserialize: (bytes: Buffer) => response.toObject(response.decode(bytes), CONVERSION),
      originalName: method.name,
    }
  }
  return definition as grpc.ServiceDefinition
}

/** Client constructors for the services, used by the test harness to play Terraform. */
export function clientConstructor(key: ServiceKey): grpc.ServiceClientConstructor {
  return grpc.makeGenericClientConstructor(serviceDefinitions()[key], SERVICE_NAMES[key])
}
