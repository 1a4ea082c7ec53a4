// The tfplugin6.Provider RPCs, protocol side: decode values with the schemas, run the resource's code,
// apply the generic planning rules and self-checks, and turn every failure into diagnostics. Nothing here
// knows about openc2c; the resources do.
//
// One instance serves one provider process. In reattach (debug) mode that process sees many
// ConfigureProvider calls and concurrent RPCs (Terraform runs up to 10 operations at once), so the only
// shared mutable state is the configured client, replaced by each ConfigureProvider.

import { toProtoPath } from './attribute-path.js'
import { Diagnostics, diagnosticsFromError, toProtoDiagnostic } from './diagnostics.js'
import type { Logger } from './logger.js'
import { completeRecord, planChange } from './plan.js'
import type {
  ApplyResourceChangeRequest,
  ApplyResourceChangeResponse,
  ConfigureProviderRequest,
  DiagnosticsResponse,
  DynamicValueMessage,
  GetMetadataResponse,
  GetProviderSchemaResponse,
  ImportResourceStateRequest,
  ImportResourceStateResponse,
  PlanResourceChangeRequest,
  PlanResourceChangeResponse,
  ReadDataSourceRequest,
  ReadDataSourceResponse,
  ReadResourceRequest,
  ReadResourceResponse,
  StopProviderResponse,
  UpgradeResourceStateRequest,
  UpgradeResourceStateResponse,
  ValidateConfigRequest,
  ValidateProviderConfigRequest,
} from './protocol-types.js'
import type { DataSource, ManagedResource, OperationContext, ProviderDefinition } from './resource.js'
import { objectTypeOf, toProtoSchema, type BlockSchema } from './schema.js'
import { checkApply, checkPlan, checkState } from './self-check.js'
import { toAttributePath, valueAt, withoutWriteOnly, writeOnlyPaths } from './write-only.js'
import { decodeJson } from '../tfvalue/json-codec.js'
import { decodeMsgpack, encodeMsgpack } from '../tfvalue/msgpack-codec.js'
import { isRecord, type TfRecord, type TfValue } from '../tfvalue/value.js'

type Body<T> = Omit<T, 'diagnostics'>

export class ProviderServer<Client> {
  private client: Client | undefined
  /** Terraform ≥ 1.11 says so in ConfigureProvider; older ones would store write-only values in state. */
  private writeOnlyAllowed = false
  private stopController = new AbortController()
  private readonly resources = new Map<string, ManagedResource<Client>>()
  private readonly dataSources = new Map<string, DataSource<Client>>()
  private schemaResponse: GetProviderSchemaResponse | undefined

  constructor(
    private readonly definition: ProviderDefinition<Client>,
    private readonly log: Logger,
  ) {
    for (const resource of definition.resources) this.resources.set(resource.typeName, resource)
    for (const dataSource of definition.dataSources) this.dataSources.set(dataSource.typeName, dataSource)
  }

  getMetadata(): GetMetadataResponse {
    return {
      server_capabilities: this.capabilities(),
      resources: [...this.resources.keys()].map((type_name) => ({ type_name })),
      data_sources: [...this.dataSources.keys()].map((type_name) => ({ type_name })),
      diagnostics: [],
    }
  }

  getProviderSchema(): GetProviderSchemaResponse {
    // Built once per process: Terraform asks in every one of the 2–5 processes a command starts.
    this.schemaResponse ??= {
      provider: toProtoSchema(this.definition.schema),
      resource_schemas: Object.fromEntries([...this.resources].map(([name, r]) => [name, toProtoSchema(r.schema)])),
      data_source_schemas: Object.fromEntries([...this.dataSources].map(([name, d]) => [name, toProtoSchema(d.schema)])),
      server_capabilities: this.capabilities(),
      diagnostics: [],
    }
    return this.schemaResponse
  }

  validateProviderConfig(request: ValidateProviderConfigRequest): Promise<DiagnosticsResponse> {
    return this.guard('ValidateProviderConfig', async (diagnostics) => {
      const config = this.decodeRecord(this.definition.schema, request.config)
      if (config) this.definition.validateConfig?.(config, diagnostics)
      return {}
    })
  }

  validateResourceConfig(request: ValidateConfigRequest): Promise<DiagnosticsResponse> {
    return this.guard('ValidateResourceConfig', async (diagnostics) => {
      const resource = this.resource(request.type_name)
      const config = this.decodeRecord(resource.schema, request.config)
      if (config) resource.validateConfig?.(config, diagnostics)
      return {}
    })
  }

  validateDataResourceConfig(request: ValidateConfigRequest): Promise<DiagnosticsResponse> {
    return this.guard('ValidateDataResourceConfig', async (diagnostics) => {
      const dataSource = this.dataSource(request.type_name)
      const config = this.decodeRecord(dataSource.schema, request.config)
      if (config) dataSource.validateConfig?.(config, diagnostics)
      return {}
    })
  }

  upgradeResourceState(request: UpgradeResourceStateRequest): Promise<UpgradeResourceStateResponse> {
    return this.guard('UpgradeResourceState', async () => {
      const resource = this.resource(request.type_name)
      if (request.version > resource.schema.version) {
        throw new Error(`state was written by a newer provider (schema version ${request.version} > ${resource.schema.version})`)
      }
      const json = request.raw_state?.json
      const parsed: unknown = json && json.length > 0 ? JSON.parse(Buffer.from(json).toString('utf8')) : null
      const decoded = decodeJson(objectTypeOf(resource.schema), parsed, { dropUnknownAttributes: true })
      const state = isRecord(decoded) ? withoutWriteOnly(resource.schema, completeRecord(resource.schema, decoded)) : null
      return { upgraded_state: this.encode(resource.schema, state) }
    })
  }

  configureProvider(request: ConfigureProviderRequest): Promise<DiagnosticsResponse> {
    return this.guard('ConfigureProvider', async (diagnostics) => {
      const config = this.decodeRecord(this.definition.schema, request.config)
      if (!config) throw new Error('ConfigureProvider without a configuration')
      this.writeOnlyAllowed = request.client_capabilities?.write_only_attributes_allowed === true
      const client = this.definition.configure(config, diagnostics, this.log)
      if (client !== undefined && !diagnostics.hasErrors) this.client = client
      return {}
    })
  }

  readResource(request: ReadResourceRequest): Promise<ReadResourceResponse> {
    return this.guard(
      'ReadResource',
      async (diagnostics) => {
        const resource = this.resource(request.type_name)
        const state = this.decodeRecord(resource.schema, request.current_state)
        if (!state) return { new_state: this.encode(resource.schema, null), private: request.private }
        const next = await resource.read(this.requireClient(), state, this.context(diagnostics))
        if (next) diagnostics.add(...checkState(request.type_name, resource.schema, next))
        return { new_state: this.encode(resource.schema, next), private: request.private }
      },
      // On failure the state stays what it was.
      () => ({ new_state: request.current_state, private: request.private }),
    )
  }

  planResourceChange(request: PlanResourceChangeRequest): Promise<PlanResourceChangeResponse> {
    return this.guard(
      'PlanResourceChange',
      async (diagnostics) => {
        const resource = this.resource(request.type_name)
        const prior = this.decodeRecord(resource.schema, request.prior_state)
        const config = this.decodeRecord(resource.schema, request.config)
        // For a create, Terraform's proposed state is the configuration itself, byte for byte: decode it once.
        const proposed = sameBytes(request.proposed_new_state, request.config) ? config : this.decodeRecord(resource.schema, request.proposed_new_state)
        if (config && !this.writeOnlyAllowed) {
          for (const path of writeOnlyPaths(resource.schema)) {
            if (valueAt(config, path) !== null) {
              diagnostics.error(
                'Write-only attributes need Terraform 1.11 or later',
                `${path.join('.')} is write-only, and this Terraform did not say it supports write-only attributes. Upgrade Terraform, or use an attribute that is kept in state instead where the resource has one.`,
                toAttributePath(path),
              )
            }
          }
          if (diagnostics.hasErrors) return { requires_replace: [] }
        }
        const derived = config && proposed ? (resource.deriveComputed?.(config, prior) ?? {}) : {}
        const { planned, requiresReplace } = planChange(resource.schema, prior, proposed, config, derived)
        if (planned && config) diagnostics.add(...checkPlan(request.type_name, resource.schema, config, planned))
        return {
          planned_state: this.encode(resource.schema, planned),
          requires_replace: requiresReplace.map(toProtoPath),
          planned_private: request.prior_private,
        }
      },
      () => ({ requires_replace: [] }),
    )
  }

  applyResourceChange(request: ApplyResourceChangeRequest): Promise<ApplyResourceChangeResponse> {
    let stateOnFailure: DynamicValueMessage | undefined = request.prior_state
    return this.guard(
      'ApplyResourceChange',
      async (diagnostics) => {
        const resource = this.resource(request.type_name)
        const prior = this.decodeRecord(resource.schema, request.prior_state)
        const planned = this.decodeRecord(resource.schema, request.planned_state)
        const config = this.decodeRecord(resource.schema, request.config)
        const client = this.requireClient()
        const ctx = this.context(diagnostics)
        if (planned === null) {
          if (prior) await resource.delete(client, prior, ctx)
          return { new_state: this.encode(resource.schema, null) }
        }
        if (!config) throw new Error('ApplyResourceChange without a configuration')
        const applied = prior === null ? await resource.create(client, planned, config, ctx) : await resource.update(client, prior, planned, config, ctx)
        stateOnFailure = this.encode(resource.schema, applied)
        diagnostics.add(...checkApply(request.type_name, resource.schema, planned, applied))
        return { new_state: stateOnFailure, private: request.planned_private }
      },
      () => ({ new_state: stateOnFailure, private: request.planned_private }),
    )
  }

  importResourceState(request: ImportResourceStateRequest): Promise<ImportResourceStateResponse> {
    return this.guard(
      'ImportResourceState',
      async (diagnostics) => {
        const resource = this.resource(request.type_name)
        const partial = resource.importState(request.id, this.context(diagnostics))
        if (diagnostics.hasErrors) return { imported_resources: [] }
        const state = completeRecord(resource.schema, partial)
        diagnostics.add(...checkState(request.type_name, resource.schema, state))
        return { imported_resources: [{ type_name: request.type_name, state: this.encode(resource.schema, state) }] }
      },
      () => ({ imported_resources: [] }),
    )
  }

  readDataSource(request: ReadDataSourceRequest): Promise<ReadDataSourceResponse> {
    return this.guard('ReadDataSource', async (diagnostics) => {
      const dataSource = this.dataSource(request.type_name)
      const config = this.decodeRecord(dataSource.schema, request.config)
      if (!config) throw new Error('ReadDataSource without a configuration')
      const state = await dataSource.read(this.requireClient(), config, this.context(diagnostics))
      diagnostics.add(...checkState(request.type_name, dataSource.schema, state))
      return { state: this.encode(dataSource.schema, state) }
    })
  }

  /** Ctrl-C: abort in-flight operations. Later calls get a fresh signal (reattach mode keeps the process). */
  stopProvider(): StopProviderResponse {
    this.log.log('info', 'StopProvider: aborting in-flight operations')
    this.stopController.abort(new Error('Terraform asked the provider to stop (StopProvider)'))
    this.stopController = new AbortController()
    return { Error: '' }
  }

  /** plan_destroy: Terraform asks us to plan destroys too (we answer null). get_provider_schema_optional:
   * the schema never changes for one executable, so Terraform may reuse the copy it fetched from the
   * first of the 2–5 processes it starts per command instead of asking each one. */
  private capabilities() {
    return { plan_destroy: true, get_provider_schema_optional: true, move_resource_state: false }
  }

  private context(diagnostics: Diagnostics): OperationContext {
    return { signal: this.stopController.signal, diagnostics, log: this.log }
  }

  private async guard<T extends DiagnosticsResponse>(
    rpc: string,
    run: (diagnostics: Diagnostics) => Promise<Body<T>>,
    onFailure?: () => Partial<Body<T>>,
  ): Promise<T> {
    const diagnostics = new Diagnostics()
    let body: Partial<Body<T>>
    try {
      body = await run(diagnostics)
    } catch (error) {
      diagnostics.add(...diagnosticsFromError(error, rpc))
      if (!(error instanceof Error && error.name === 'DiagnosticError')) this.log.log('error', `${rpc} failed`, { error: String(error) })
      body = onFailure?.() ?? {}
    }
    return { ...body, diagnostics: diagnostics.items.map(toProtoDiagnostic) } as T
  }

  private resource(typeName: string): ManagedResource<Client> {
    const resource = this.resources.get(typeName)
    if (!resource) throw new Error(`unknown resource type ${JSON.stringify(typeName)}`)
    return resource
  }

  private dataSource(typeName: string): DataSource<Client> {
    const dataSource = this.dataSources.get(typeName)
    if (!dataSource) throw new Error(`unknown data source type ${JSON.stringify(typeName)}`)
    return dataSource
  }

  private requireClient(): Client {
    if (this.client === undefined) throw new Error('the provider was used before ConfigureProvider succeeded')
    return this.client
  }

  private decodeRecord(schema: BlockSchema, message: DynamicValueMessage | undefined): TfRecord | null {
    const value = decodeDynamicValue(schema, message)
    if (value === null) return null
    if (!isRecord(value)) throw new Error('expected an object value')
    return completeRecord(schema, value)
  }

  private encode(schema: BlockSchema, value: TfRecord | null): DynamicValueMessage {
    return { msgpack: encodeMsgpack(objectTypeOf(schema), value) }
  }
}

function sameBytes(a: DynamicValueMessage | undefined, b: DynamicValueMessage | undefined): boolean {
  const x = a?.msgpack
  const y = b?.msgpack
  return x !== undefined && y !== undefined && x.length > 0 && Buffer.compare(x, y) === 0
}

export function decodeDynamicValue(schema: BlockSchema, message: DynamicValueMessage | undefined): TfValue {
  const type = objectTypeOf(schema)
  if (message?.msgpack && message.msgpack.length > 0) return decodeMsgpack(type, message.msgpack)
  if (message?.json && message.json.length > 0) return decodeJson(type, JSON.parse(Buffer.from(message.json).toString('utf8')))
  return null
}
