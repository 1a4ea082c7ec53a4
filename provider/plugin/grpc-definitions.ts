// gRPC service definitions for the provider and the go-plugin side services, from our descriptor.

import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { protocolDescriptor } from '../proto/descriptor.js'

// keepCase: field names as on the wire (snake_case); longs as JS numbers (schema versions, list indexes);
// enums as names ("ERROR"); defaults so absent scalars read as 0/""/false.
const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true }

export interface ServiceDefinitions {
  provider: grpc.ServiceDefinition
  health: grpc.ServiceDefinition
  controller: grpc.ServiceDefinition
  stdio: grpc.ServiceDefinition
  broker: grpc.ServiceDefinition
  /** Client constructors, for the test harness. */
  clients: {
    Provider: grpc.ServiceClientConstructor
    Health: grpc.ServiceClientConstructor
    GRPCController: grpc.ServiceClientConstructor
    GRPCStdio: grpc.ServiceClientConstructor
    GRPCBroker: grpc.ServiceClientConstructor
  }
}

let cached: ServiceDefinitions | undefined

export function serviceDefinitions(): ServiceDefinitions {
  if (cached) return cached
  const packageDefinition = protoLoader.fromJSON(protocolDescriptor(), LOADER_OPTIONS)
  const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as {
    tfplugin6: { Provider: grpc.ServiceClientConstructor }
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } }
    plugin: { GRPCController: grpc.ServiceClientConstructor; GRPCStdio: grpc.ServiceClientConstructor; GRPCBroker: grpc.ServiceClientConstructor }
  }
  const clients = {
    Provider: loaded.tfplugin6.Provider,
    Health: loaded.grpc.health.v1.Health,
    GRPCController: loaded.plugin.GRPCController,
    GRPCStdio: loaded.plugin.GRPCStdio,
    GRPCBroker: loaded.plugin.GRPCBroker,
  }
  cached = {
    provider: clients.Provider.service,
    health: clients.Health.service,
    controller: clients.GRPCController.service,
    stdio: clients.GRPCStdio.service,
    broker: clients.GRPCBroker.service,
    clients,
  }
  return cached
}
