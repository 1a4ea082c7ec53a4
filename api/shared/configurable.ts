// Turns a `config` from a request into what is stored, for any configurable kind (a source type, a
// destination kind): validated against its schema and cross-field rules, secrets split off and
// sealed, the rest kept as sent with each secret shown as the mask. On update a secret given as the
// mask keeps the stored value, so clients can PUT back what they GET.
import type { TObject } from '@sinclair/typebox'
import type { ValidationIssue } from '../../schemas/error-body.js'
import type { SecretBox } from '../store/secrets.js'
import { compileBodySchema, formatAjvErrors, jsonPath } from '../validation.js'

export const SECRET_MASK = '********'

/** What makes a kind configurable: its schema, which keys are secret, and the rules a schema can't say. */
export interface ConfigurableKind {
  /** JSON schema of `config`; validated strictly (unknown keys are rejected). */
  readonly configSchema: TObject
  /**
   * Config keys holding secrets: stored sealed, answered as "********". A key may name a string
   * value, or an object whose values are all secret (e.g. custom headers).
   */
  readonly secretKeys: readonly string[]
  /**
   * Rules a JSON schema can't express (aliases, cross-field agreement). Paths are relative to the
   * config (`$` is the config object). Only called on configs that passed the schema.
   */
  checkConfig(config: Record<string, unknown>): ValidationIssue[]
}

export type PreparedConfig =
  | { ok: true; config: Record<string, unknown>; publicConfig: Record<string, unknown>; sealedSecrets: string | null; secrets: Record<string, string> }
  | { ok: false; issues: ValidationIssue[] }

const validators = new WeakMap<ConfigurableKind, ReturnType<typeof compileBodySchema>>()

function validatorFor(kind: ConfigurableKind) {
  let validate = validators.get(kind)
  if (!validate) {
    validate = compileBodySchema(kind.configSchema)
    validators.set(kind, validate)
  }
  return validate
}

/**
 * Secrets are kept flat: a string key as itself, an object key's entries as `key.entry`.
 *
 * @param root JSONPath of the config in the request, e.g. `$.source.config`
 * @param storedSecrets the current secrets on update; undefined on create
 */
export function prepareConfig(
  kind: ConfigurableKind,
  rawConfig: Record<string, unknown>,
  box: SecretBox,
  root: string,
  storedSecrets?: Record<string, string>,
): PreparedConfig {
  // Explicit nulls mean "not set", as on the rest of the API.
  const config: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(rawConfig)) if (value !== null) config[key] = value

  const issues: ValidationIssue[] = []
  const unmask = (value: unknown, secretName: string, path: (string | number)[]): unknown => {
    if (value !== SECRET_MASK) return value
    const stored = storedSecrets?.[secretName]
    if (stored === undefined) {
      issues.push({ path: jsonPath(root, path), message: `is the mask "${SECRET_MASK}"; send the real value (no value is stored yet)` })
      return value
    }
    return stored
  }
  for (const key of kind.secretKeys) {
    const value = config[key]
    if (isPlainObject(value)) {
      config[key] = Object.fromEntries(Object.entries(value).map(([entry, v]) => [entry, unmask(v, `${key}.${entry}`, [key, entry])]))
    } else if (value !== undefined) config[key] = unmask(value, key, [key])
  }
  if (issues.length > 0) return { ok: false, issues }

  const validate = validatorFor(kind)
  if (!validate(config)) return { ok: false, issues: formatAjvErrors(validate.errors, root) }
  const crossField = kind.checkConfig(config).map((i) => ({ ...i, path: root + i.path.slice(1) }))
  if (crossField.length > 0) return { ok: false, issues: crossField }

  const secrets: Record<string, string> = {}
  const publicConfig: Record<string, unknown> = { ...config }
  for (const key of kind.secretKeys) {
    const value = config[key]
    if (typeof value === 'string') {
      secrets[key] = value
      publicConfig[key] = SECRET_MASK
    } else if (isPlainObject(value)) {
      const masked: Record<string, unknown> = {}
      for (const [entry, v] of Object.entries(value)) {
        if (typeof v === 'string') secrets[`${key}.${entry}`] = v
        masked[entry] = SECRET_MASK
      }
      publicConfig[key] = masked
    }
  }
  const sealedSecrets = Object.keys(secrets).length > 0 ? box.sealJson(secrets) : null
  return { ok: true, config, publicConfig, sealedSecrets, secrets }
}

/** The config a runner uses: the public config with every secret put back. */
export function revealConfig(kind: ConfigurableKind, publicConfig: Record<string, unknown>, secrets: Record<string, string>): Record<string, unknown> {
  const config: Record<string, unknown> = { ...publicConfig }
  for (const key of kind.secretKeys) {
    const value = config[key]
    if (value === SECRET_MASK && secrets[key] !== undefined) config[key] = secrets[key]
    else if (isPlainObject(value)) {
      config[key] = Object.fromEntries(Object.entries(value).map(([entry, v]) => [entry, secrets[`${key}.${entry}`] ?? v]))
    }
  }
  return config
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
