// Plan-time checks of openc2c_destination, each reported on the attribute that holds the problem: the
// contract's own rules (destination-contract.ts, the schemas the service validates with), exactly one
// kind block and the one `type` names, one way to authenticate to Elasticsearch, and a version for the
// write-only secrets. Unknown values (variables at validate time, references) are skipped.

import { attributePath, formatPath, type AttributePath } from '../framework/attribute-path.js'
import type { Diagnostics } from '../framework/diagnostics.js'
import { MASKED_SECRET } from '../client/sources-api.js'
import { isRecord, isUnknown, type TfRecord, type TfValue } from '../tfvalue/value.js'
import { compiled, contractViolation, type ContractRule } from './contract-check.js'
import { CONTRACT, FILTER_FIELDS, KIND_NAMES, KINDS, kindSpec, type KindSpec } from './destination-schema.js'

const inBlock = (block: string, attribute: string, ...rest: string[]): AttributePath => [{ attribute: block }, { attribute }, ...rest.map((key) => ({ key }))]

/**
 * Where to point at a block as a whole: its first configured attribute. Terraform quotes the line a
 * diagnostic's path ends on, and for a path that ends on a block it can only show the resource's first
 * line.
 */
function blockPath(config: TfRecord, block: string, preferred: string[] = []): AttributePath {
  const value = config[block]
  if (!isRecord(value)) return attributePath(block)
  const names = [...preferred, ...(kindSpec(block)?.fields.map((f) => f.attribute) ?? Object.keys(value))]
  const first = names.find((name) => value[name] !== null && value[name] !== undefined)
  return first === undefined ? attributePath(block) : inBlock(block, first)
}

/** A value validation may look at: known, and for collections without their unknown elements. */
function known(value: TfValue | undefined): TfValue | undefined {
  if (value === null || value === undefined || isUnknown(value)) return undefined
  return Array.isArray(value) ? value.filter((element) => !isUnknown(element)) : value
}

function check(diagnostics: Diagnostics, rule: ContractRule | undefined, value: TfValue | undefined, label: string, path: AttributePath): void {
  const v = known(value)
  if (v === undefined) return
  const problem = contractViolation(rule, v)
  if (problem) diagnostics.error(`Invalid ${label}`, `${label} ${problem}.`, path)
}

function checkSecret(diagnostics: Diagnostics, value: TfValue | undefined, label: string, path: AttributePath): void {
  if (value === MASKED_SECRET) diagnostics.error(`Invalid ${label}`, `${label} cannot be the mask "${MASKED_SECRET}": give the secret itself.`, path)
}

function checkKindBlock(diagnostics: Diagnostics, spec: KindSpec, block: TfRecord): void {
  const rules = CONTRACT.configs[spec.kind]?.rules ?? {}
  for (const field of spec.fields) {
    const label = `${spec.kind}.${field.attribute}`
    const value = block[field.attribute]
    const rule = rules[field.wire]
    if (rule?.keyPattern !== undefined) {
      const map = known(value)
      if (!isRecord(map)) continue
      const entries = Object.entries(map)
      if (rule.maxProperties !== undefined && entries.length > rule.maxProperties) {
        diagnostics.error(`Invalid ${label}`, `${label} may hold at most ${rule.maxProperties} entries.`, inBlock(spec.kind, field.attribute))
      }
      for (const [key, entry] of entries) {
        const path = inBlock(spec.kind, field.attribute, key)
        if (!compiled(rule.keyPattern).test(key)) diagnostics.error(`Invalid ${label}`, `${label}: "${key}" is not a valid name (letters, digits and !#$%&'*+.^_\`|~- only).`, path)
        if (field.secret) checkSecret(diagnostics, entry, `${label}["${key}"]`, path)
        check(diagnostics, rule.values, entry, `${label}["${key}"]`, path)
      }
      continue
    }
    if (field.secret) checkSecret(diagnostics, value, label, inBlock(spec.kind, field.attribute))
    check(diagnostics, rule, value, label, inBlock(spec.kind, field.attribute))
  }
}

/** Elasticsearch takes an API key, or a user name and password: exactly one of the two. */
function checkElasticsearchAuth(diagnostics: Diagnostics, config: TfRecord, block: TfRecord): void {
  const [apiKey, username, password] = [block.api_key_wo ?? null, block.username ?? null, block.password_wo ?? null]
  if ([apiKey, username, password].some(isUnknown)) return
  if (apiKey !== null && (username !== null || password !== null)) {
    diagnostics.error(
      'Two ways to authenticate',
      'Set elasticsearch.api_key_wo, or elasticsearch.username with elasticsearch.password_wo, not both.',
      inBlock('elasticsearch', username !== null ? 'username' : 'password_wo'),
    )
  } else if (apiKey === null && username === null && password === null) {
    diagnostics.error('Missing authentication', 'Set elasticsearch.api_key_wo, or elasticsearch.username with elasticsearch.password_wo.', blockPath(config, 'elasticsearch', ['url']))
  } else if (apiKey === null && username === null) {
    diagnostics.error('Missing elasticsearch.username', 'elasticsearch.password_wo is the password of elasticsearch.username: set both.', inBlock('elasticsearch', 'username'))
  } else if (apiKey === null && password === null) {
    diagnostics.error('Missing elasticsearch.password_wo', 'elasticsearch.username needs its password in elasticsearch.password_wo.', inBlock('elasticsearch', 'password_wo'))
  }
}

/** The kind blocks present in the configuration (an unknown block counts). */
function presentBlocks(config: TfRecord): KindSpec[] {
  return KINDS.filter((spec) => config[spec.kind] !== null && config[spec.kind] !== undefined)
}

/** The first write-only secret the configuration sets, as a path; undefined when it sets none. */
function firstSecret(config: TfRecord): AttributePath | undefined {
  for (const spec of KINDS) {
    const block = config[spec.kind]
    if (isUnknown(block)) return attributePath(spec.kind)
    if (!isRecord(block)) continue
    const field = spec.fields.find((f) => f.secret && block[f.attribute] !== null && block[f.attribute] !== undefined)
    if (field) return inBlock(spec.kind, field.attribute)
  }
  return undefined
}

export function validateDestination(config: TfRecord, diagnostics: Diagnostics): void {
  check(diagnostics, CONTRACT.envelope.name, config.name, 'name', attributePath('name'))
  check(diagnostics, CONTRACT.envelope.startFrom, config.start_from, 'start_from', attributePath('start_from'))

  const type = config.type
  const present = presentBlocks(config)
  if (typeof type === 'string') {
    const spec = kindSpec(type)
    if (!spec) {
      diagnostics.error('Invalid type', `type must be one of ${KIND_NAMES.join(', ')}; got ${JSON.stringify(type)}.`, attributePath('type'))
    } else {
      for (const other of present.filter((p) => p !== spec)) {
        diagnostics.error(
          `Unexpected ${other.kind} block`,
          `type is "${type}", so the settings go in a ${type} block. Remove the ${other.kind} block, or set type = "${other.kind}".`,
          blockPath(config, other.kind),
        )
      }
      if (!present.includes(spec)) diagnostics.error(`Missing ${type} block`, `A destination of type "${type}" needs its settings in a ${type} { ... } block.`, attributePath('type'))
      if (!spec.fields.some((f) => f.secret) && typeof config.secrets_wo_version === 'number') {
        diagnostics.warning('secrets_wo_version has nothing to version', `A ${type} destination has no secrets; secrets_wo_version can go.`, attributePath('secrets_wo_version'))
      }
    }
  } else if (present.length > 1) {
    for (const extra of present.slice(1)) diagnostics.error('More than one kind block', 'A destination has one kind: set only the block that type names.', blockPath(config, extra.kind))
  }

  for (const spec of present) {
    const block = config[spec.kind]
    if (!isRecord(block)) continue
    checkKindBlock(diagnostics, spec, block)
    if (spec.kind === 'elasticsearch') checkElasticsearchAuth(diagnostics, config, block)
  }

  const secret = firstSecret(config)
  if (secret && config.secrets_wo_version === null) {
    // Pointed at the secret: the version is not in the configuration, so Terraform has no line for it.
    diagnostics.error(
      'Missing secrets_wo_version',
      `${formatPath(secret)} is write-only: Terraform never stores it, so it cannot see it change. Set secrets_wo_version, and change it whenever a secret changes.`,
      secret,
    )
  }

  const filter = config.filter
  if (isRecord(filter)) {
    for (const field of FILTER_FIELDS) check(diagnostics, CONTRACT.filter[field.wire], filter[field.attribute], `filter.${field.attribute}`, inBlock('filter', field.attribute))
  }
}
