// The request and response shapes of the tfplugin6 RPCs this provider implements, as @grpc/proto-loader
// hands them over (keepCase, longs as Number, enums as String, defaults filled in). Only the fields we use.

import type { ProtoDiagnostic } from './diagnostics.js'
import type { ProtoAttributePath } from './attribute-path.js'

export interface DynamicValueMessage {
  msgpack?: Uint8Array
  json?: Uint8Array
}

export interface ClientCapabilitiesMessage {
  deferral_allowed?: boolean
  write_only_attributes_allowed?: boolean
}

export interface DiagnosticsResponse {
  diagnostics: ProtoDiagnostic[]
}

export interface ServerCapabilitiesMessage {
  plan_destroy: boolean
  get_provider_schema_optional: boolean
  move_resource_state: boolean
}

export interface GetMetadataResponse extends DiagnosticsResponse {
  server_capabilities: ServerCapabilitiesMessage
  resources: Array<{ type_name: string }>
  data_sources: Array<{ type_name: string }>
}

export interface GetProviderSchemaResponse extends DiagnosticsResponse {
  provider: unknown
  resource_schemas: Record<string, unknown>
  data_source_schemas: Record<string, unknown>
  server_capabilities: ServerCapabilitiesMessage
}

export interface ValidateProviderConfigRequest {
  config?: DynamicValueMessage
}

export interface ValidateConfigRequest {
  type_name: string
  config?: DynamicValueMessage
}

export interface UpgradeResourceStateRequest {
  type_name: string
  version: number
  raw_state?: { json?: Uint8Array }
}

export interface UpgradeResourceStateResponse extends DiagnosticsResponse {
  upgraded_state?: DynamicValueMessage
}

export interface ConfigureProviderRequest {
  terraform_version: string
  config?: DynamicValueMessage
  client_capabilities?: ClientCapabilitiesMessage
}

export interface ReadResourceRequest {
  type_name: string
  current_state?: DynamicValueMessage
  private?: Uint8Array
}

export interface ReadResourceResponse extends DiagnosticsResponse {
  new_state?: DynamicValueMessage
  private?: Uint8Array
}

export interface PlanResourceChangeRequest {
  type_name: string
  prior_state?: DynamicValueMessage
  proposed_new_state?: DynamicValueMessage
  config?: DynamicValueMessage
  prior_private?: Uint8Array
}

export interface PlanResourceChangeResponse extends DiagnosticsResponse {
  planned_state?: DynamicValueMessage
  requires_replace: ProtoAttributePath[]
  planned_private?: Uint8Array
}

export interface ApplyResourceChangeRequest {
  type_name: string
  prior_state?: DynamicValueMessage
  planned_state?: DynamicValueMessage
  config?: DynamicValueMessage
  planned_private?: Uint8Array
}

export interface ApplyResourceChangeResponse extends DiagnosticsResponse {
  new_state?: DynamicValueMessage
  private?: Uint8Array
}

export interface ImportResourceStateRequest {
  type_name: string
  id: string
}

export interface ImportResourceStateResponse extends DiagnosticsResponse {
  imported_resources: Array<{ type_name: string; state: DynamicValueMessage; private?: Uint8Array }>
}

export interface ReadDataSourceRequest {
  type_name: string
  config?: DynamicValueMessage
}

export interface ReadDataSourceResponse extends DiagnosticsResponse {
  state?: DynamicValueMessage
}

export interface StopProviderResponse {
  Error: string
}
