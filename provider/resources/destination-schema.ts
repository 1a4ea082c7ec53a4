// The schema of openc2c_destination, and the table it is built from: for each destination kind, one
// nested block named after the kind, whose attributes map one to one onto the kind's config keys
// (schemas/destinations/*.ts). Secrets are write-only attributes (`*_wo`): Terraform keeps them in neither
// plan nor state, so one version attribute, `secrets_wo_version`, says when to send them again.

import type { AttributeSpec, BlockSchema, NestedBlockSpec } from '../framework/schema.js'
import { mapOf, setOf, type CtyType } from '../tfvalue/types.js'
import { destinationContract } from './destination-contract.js'

export const CONTRACT = destinationContract()

export interface KindField {
  /** The attribute in the kind's block. */
  attribute: string
  /** The key in the API's `config`. */
  wire: string
  type: CtyType
  description: string
  /** Write-only: sent to the service, read back as "********", never in plan or state. */
  secret?: boolean
}

export interface KindSpec {
  /** The `type` value, which is also the block's name. */
  kind: string
  description: string
  fields: KindField[]
}

const url = (description: string): KindField => ({ attribute: 'url', wire: 'url', type: 'string', description })

export const KINDS: readonly KindSpec[] = [
  {
    kind: 'splunk_hec',
    description: "Splunk's HTTP Event Collector.",
    fields: [
      url('HEC base URL, e.g. `https://splunk.example:8088`; events go to `<url>/services/collector/event`.'),
      { attribute: 'token_wo', wire: 'token', type: 'string', secret: true, description: 'HEC token, sent as `Authorization: Splunk <token>`. Write-only.' },
      { attribute: 'indexer_ack', wire: 'indexerAck', type: 'bool', description: 'Count a batch as delivered only once Splunk acknowledges it was indexed. Default false.' },
      { attribute: 'index', wire: 'index', type: 'string', description: "Index; the token's default index when unset." },
      { attribute: 'sourcetype', wire: 'sourcetype', type: 'string', description: 'Sourcetype; `openc2c:<event type>` when unset.' },
      { attribute: 'source', wire: 'source', type: 'string', description: "Source; the event's `_source` when unset." },
    ],
  },
  {
    kind: 'elasticsearch',
    description: "Elasticsearch's `_bulk` API: every event is created under a stable `_id`.",
    fields: [
      url('Cluster URL, e.g. `https://es.example:9200`; batches go to `<url>/_bulk`.'),
      { attribute: 'index', wire: 'index', type: 'string', description: 'Index or data stream every event is created in.' },
      { attribute: 'api_key_wo', wire: 'apiKey', type: 'string', secret: true, description: 'API key (the base64 `encoded` form). Write-only. Or `username` with `password_wo`.' },
      { attribute: 'username', wire: 'username', type: 'string', description: 'User name for basic authentication, with `password_wo`.' },
      { attribute: 'password_wo', wire: 'password', type: 'string', secret: true, description: 'Password of `username`. Write-only.' },
    ],
  },
  {
    kind: 'sumo_http',
    description: 'A Sumo Logic HTTP Logs Source.',
    fields: [{ attribute: 'url_wo', wire: 'url', type: 'string', secret: true, description: "The HTTP source's URL, which holds its token. Write-only." }],
  },
  {
    kind: 'webhook',
    description: 'NDJSON batches POSTed to any HTTP endpoint.',
    fields: [
      url('Where each batch is POSTed.'),
      { attribute: 'headers_wo', wire: 'headers', type: mapOf('string'), secret: true, description: 'Extra request headers (an `Authorization` header, say). Write-only: their names show in `stored_secrets`, their values nowhere.' },
      { attribute: 'gzip', wire: 'gzip', type: 'bool', description: 'Send bodies gzip-compressed. Default false.' },
      { attribute: 'signing_key_wo', wire: 'signingKey', type: 'string', secret: true, description: 'Key of the `X-Openc2c-Signature: sha256=<HMAC>` header on each body. Write-only.' },
    ],
  },
  {
    kind: 'file',
    description: 'NDJSON files in a directory of the service host, rotated by size and age.',
    fields: [
      { attribute: 'directory', wire: 'directory', type: 'string', description: 'Absolute path of the directory (created 0700 if missing).' },
      { attribute: 'max_file_bytes', wire: 'maxFileBytes', type: 'number', description: 'A file is closed past this size. Default 100 MiB.' },
      { attribute: 'max_file_age_seconds', wire: 'maxFileAgeSeconds', type: 'number', description: 'A file is closed this long after its first event. Default 300.' },
    ],
  },
]

export const KIND_NAMES: readonly string[] = KINDS.map((k) => k.kind)

export function kindSpec(kind: unknown): KindSpec | undefined {
  return KINDS.find((k) => k.kind === kind)
}

/** The filter block: attribute → wire key of the API's `filter`. */
export const FILTER_FIELDS = [
  { attribute: 'collector_ids', wire: 'collectorIds', type: setOf('number'), description: 'Only events of these collectors (ids). Unset or empty: all.' },
  { attribute: 'source_ids', wire: 'sourceIds', type: setOf('number'), description: 'Only events of these sources (ids). Unset or empty: all.' },
  { attribute: 'source_category', wire: 'sourceCategory', type: 'string', description: 'Only events whose `_sourceCategory` matches; `*` matches any run of characters (`chatgpt/*`).' },
  { attribute: 'event_types', wire: 'eventTypes', type: setOf('string'), description: 'Only events of these types: stored names (`CONVERSATION_MESSAGE`) or short names (`CONVERSATION`).' },
] as const

function kindBlock(spec: KindSpec): NestedBlockSpec {
  const required = CONTRACT.configs[spec.kind]?.required ?? []
  const attributes: Record<string, AttributeSpec> = {}
  for (const field of spec.fields) {
    attributes[field.attribute] = {
      type: field.type,
      description: field.description,
      ...(required.includes(field.wire) ? { required: true } : { optional: true }),
      ...(field.secret && { sensitive: true, writeOnly: true }),
    }
  }
  return { description: `Settings of a \`${spec.kind}\` destination: ${spec.description} Set this block when \`type = "${spec.kind}"\`.`, attributes }
}

export const destinationSchema: BlockSchema = {
  version: 0,
  description: 'A destination: delivers the collected events to a SIEM (Splunk HEC, Elasticsearch, Sumo Logic HTTP, a webhook) or to files.',
  attributes: {
    id: { type: 'string', computed: true, useStateForUnknown: true, description: 'Numeric destination id assigned by the service.' },
    name: { type: 'string', required: true, description: 'Unique name.' },
    type: {
      type: 'string',
      required: true,
      requiresReplace: true,
      description: `The kind: ${KIND_NAMES.join(', ')}. Its settings go in the block of the same name. Changing it replaces the destination.`,
    },
    enabled: { type: 'bool', optional: true, computed: true, default: true, description: 'Deliver (default true). A disabled destination keeps its place and sends nothing.' },
    start_from: {
      type: 'string',
      optional: true,
      computed: true,
      requiresReplace: true,
      useStateForUnknown: true,
      description: '`earliest` (every event still stored; the service default) or `now` (only events stored after creation). Applies at creation: changing it replaces the destination.',
    },
    secrets_wo_version: {
      type: 'number',
      optional: true,
      description: "Change this number to send the block's write-only secrets (`*_wo`) again, e.g. after rotating a token. Required when the block has any.",
    },
    stored_secrets: {
      type: setOf('string'),
      computed: true,
      description:
        'Which write-only secrets the destination holds, as `<block>.<attribute>` (`webhook.headers_wo.<name>` per header); never their values. Adding or removing a secret in the configuration changes it, and so does a secret removed outside Terraform.',
    },
    state: { type: 'string', computed: true, description: 'Delivery state reported by the service: Pending, Delivering, Error or Disabled.' },
  },
  blocks: {
    ...Object.fromEntries(KINDS.map((spec) => [spec.kind, kindBlock(spec)])),
    filter: {
      description: 'Which events to deliver. Every attribute is optional; no filter (or an empty one) delivers every event.',
      attributes: Object.fromEntries(FILTER_FIELDS.map((f) => [f.attribute, { type: f.type, optional: true, description: f.description }])),
    },
  },
}
