// Binds ProviderServer to the tfplugin6.Provider gRPC service. Every handler answers; an exception that
// escapes becomes an ERROR diagnostic so Terraform shows its message instead of "Unknown error".

import { diagnosticsFromError, toProtoDiagnostic } from '../framework/diagnostics.js'
import type { ProviderServer } from '../framework/provider-server.js'
import { SerializedResponse, type ServiceImplementation, type UnaryHandler } from './grpc-server.js'
import { prebuiltSchemaResponse } from './prebuilt.js'

type Handler = (request: never) => unknown

function unary(rpc: string, handler: Handler): UnaryHandler {
  return (request: never) => {
    try {
      return Promise.resolve(handler(request)).catch((error: unknown) => ({ diagnostics: diagnosticsFromError(error, rpc).map(toProtoDiagnostic) }))
    } catch (error) {
      return { diagnostics: diagnosticsFromError(error, rpc).map(toProtoDiagnostic) }
    }
  }
}

export function providerServiceImplementation(server: ProviderServer<unknown>): ServiceImplementation {
  const prebuiltSchema = prebuiltSchemaResponse()
  return {
    GetMetadata: unary('GetMetadata', () => server.getMetadata()),
    GetProviderSchema: unary('GetProviderSchema', () => (prebuiltSchema ? new SerializedResponse(Buffer.from(prebuiltSchema, 'base64')) : server.getProviderSchema())),
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
    StopProvider: () => server.stopProvider(),
  }
}
