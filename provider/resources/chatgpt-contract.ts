// The parts of the shared ChatGPT Compliance config contract (schemas/sources/chatgpt-compliance.ts, the
// schema the service validates requests with) that the provider checks at plan time.
//
// In development this reads the TypeBox schema; provider/packaging/bundle.ts evaluates it at build time
// and embeds the resulting JSON, so the bundled provider carries the same rules without TypeBox
// (≈100 KiB of the bundle, parsed on each of the 2–5 launches per Terraform command).

import { CHATGPT_COMPLIANCE_TYPE, CHATGPT_EVENT_TYPES, ChatGptComplianceConfig } from '../../schemas/sources/chatgpt-compliance.js'

/** The JSON Schema keywords the provider's checker understands (contract-check.ts). */
export interface ContractRule {
  type?: string
  minLength?: number
  maxLength?: number
  pattern?: string
  minimum?: number
  maximum?: number
  'x-error-message'?: string
}

export interface ChatgptContract {
  schemaType: string
  eventTypes: string[]
  /** Wire config key → its rule, e.g. "workspaceID" → { type: "string", pattern: ... }. */
  rules: Record<string, ContractRule>
}

export function chatgptContract(): ChatgptContract {
  const rules: Record<string, ContractRule> = {}
  for (const [key, schema] of Object.entries(ChatGptComplianceConfig.properties as Record<string, Record<string, unknown>>)) {
    const rule: ContractRule = {}
    for (const keyword of ['type', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'x-error-message'] as const) {
      if (schema[keyword] !== undefined) (rule as Record<string, unknown>)[keyword] = schema[keyword]
    }
    rules[key] = rule
  }
  return { schemaType: CHATGPT_COMPLIANCE_TYPE, eventTypes: [...CHATGPT_EVENT_TYPES], rules }
}
