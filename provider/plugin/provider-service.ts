// Binds ProviderServer to the tfplugin6.Provider gRPC service. Every handler answers; an exception that
// escapes becomes an ERROR diagnostic so Terraform shows its message instead of "Unknown error".

import type * as grpc from '@grpc/grpc-js'
import { diagnosticsFromError, toProtoDiagnostic } from '../framework/diagnostics.js'
import type { ProviderServer } from '../framework/provider-server.js'
import { SerializedResponse } from './grpc-definitions.js'
import { prebuiltSchemaResponse } from './prebuilt.js'

type Handler = (request: never) => unknown

function unary(rpc: string, handler: Handler): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => handler(call.request as never))
      .then(
        (response) => callback(null, response),
        (error: unknown) => callback(null, { diagnostics: diagnosticsFromError(error, rpc).map(toProtoDiagnostic) }),
      )
  }
}

export function providerServiceImplementation(server: ProviderServer<unknown>): grpc.UntypedServiceImplementation {
  const prebuiltSchema = prebuiltSchemaResponse()
  let schemaBytes: SerializedResponse | undefined
  return {
    GetMetadata: unary('GetMetadata', () => server.getMetadata()),
    // The bundle answers with the bytes serialized at build time; from source, the schema is encoded as usual.
    GetProviderSchema: unary('GetProviderSchema', () =>
      prebuiltSchema ? (schemaBytes ??= new SerializedResponse(Buffer.from(prebuiltSchema, 'base64'))) : server.getProviderSchema(),
    ),
    ValidateProviderConfig: unary('ValidateProviderConfig', (r) => server.validateProviderConfig(r)),
    ValidateResourceConfig: unary('ValidateResourceConfig', (r) => server.validateResourceConfig(r)),
    ValidateDataResourceConfig: unary('ValidateDataResourceConfig', (r) => server.validateDataResourceConfig(r)),
    UpgradeResourceState: unary('UpgradeResourceState', (r) => server.upgradeResourceState(r)),
    ConfigureProvider: unary('ConfigureProvider', (r) => server.configureProvider(r)),
    ReadResource: unary('ReadResource', (r) => server.readResource(r)),
    PlanResourceChange: unary('PlanResourceChange', (r) => server.planResourceChange(r)),
    ApplyResourceChange: unary('ApplyResourceChange', (r) => server.applyResourceChange(r)),
    ImportResourceState: unary('ImportResourceState', (r) => server.importResourceState(r)),
    ReadDataSource: unary('ReadDataSource', (r) => server.readDataSource(r)),
    // Answered at once, while the call it interrupts (e.g. ApplyResourceChange) is still in flight.
    StopProvider: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => callback(null, server.stopProvider()),
  }
}
