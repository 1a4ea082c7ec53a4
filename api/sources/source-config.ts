// Turns a `config` from a request into what is stored: validated against its type's schema, secrets
// split off and sealed, the rest kept as sent with each secret shown as the mask. On update a secret
// given as the mask keeps the stored value, so clients can PUT back what they GET.
import type { ValidationIssue } from '../../schemas/errors.js'
import type { SecretBox } from '../store/secrets.js'
import { compileBodySchema, formatAjvErrors, jsonPath } from '../validation.js'
import type { SourceTypeDefinition } from './source-type.js'

export const SECRET_MASK = '********'

export type PreparedConfig =
  | { ok: true; name: string; publicConfig: Record<string, unknown>; sealedSecrets: string | null; secrets: Record<string, string> }
  | { ok: false; issues: ValidationIssue[] }

const validators = new WeakMap<SourceTypeDefinition, ReturnType<typeof compileBodySchema>>()

function validatorFor(type: SourceTypeDefinition) {
  let validate = validators.get(type)
  if (!validate) {
    validate = compileBodySchema(type.configSchema)
    validators.set(type, validate)
  }
  return validate
}

/**
 * @param root JSONPath of the config in the request, e.g. `$.source.config`
 * @param storedSecrets the current secrets on update; undefined on create
 */
export function prepareSourceConfig(
  type: SourceTypeDefinition,
  rawConfig: Record<string, unknown>,
  box: SecretBox,
  root: string,
  storedSecrets?: Record<string, string>,
): PreparedConfig {
  // Explicit nulls mean "not set", as on the rest of the API.
  const config: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(rawConfig)) if (value !== null) config[key] = value

  const issues: ValidationIssue[] = []
  const secrets: Record<string, string> = {}
  for (const key of type.secretKeys) {
    if (config[key] !== SECRET_MASK) continue
    const stored = storedSecrets?.[key]
    if (stored === undefined) {
      issues.push({ path: jsonPath(root, [key]), message: `is the mask "${SECRET_MASK}"; send the real value (no value is stored yet)` })
    } else config[key] = stored
  }
  if (issues.length > 0) return { ok: false, issues }

  const validate = validatorFor(type)
  if (!validate(config)) return { ok: false, issues: formatAjvErrors(validate.errors, root) }
  const crossField = type.checkConfig(config).map((i) => ({ ...i, path: root + i.path.slice(1) }))
  if (crossField.length > 0) return { ok: false, issues: crossField }

  const publicConfig: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(config)) {
    if (type.secretKeys.includes(key) && typeof value === 'string') {
      secrets[key] = value
      publicConfig[key] = SECRET_MASK
    } else publicConfig[key] = value
  }
  const sealedSecrets = Object.keys(secrets).length > 0 ? box.sealJson(secrets) : null
  return { ok: true, name: String(config.name), publicConfig, sealedSecrets, secrets }
}
