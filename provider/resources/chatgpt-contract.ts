// The parts of the shared ChatGPT Compliance config contract (schemas/sources/chatgpt-compliance.ts, the
// schema the service validates requests with) that the provider checks at plan time.
//
// In development this reads the TypeBox schema; provider/packaging/bundle.ts evaluates it at build time
// and embeds the resulting JSON, so the bundled provider carries the same rules without TypeBox
// (≈100 KiB of the bundle, parsed on each of the 2–5 launches per Terraform command).

import { CHATGPT_COMPLIANCE_TYPE, CHATGPT_EVENT_TYPES, ChatGptComplianceConfig } from '../../schemas/sources/chatgpt-compliance.js'
import { contractRule, type ContractRule } from './contract-check.js'

export interface ChatgptContract {
  schemaType: string
  eventTypes: string[]
  /** Wire config key → its rule, e.g. "workspaceID" → { type: "string", pattern: ... }. */
  rules: Record<string, ContractRule>
}

export function chatgptContract(): ChatgptContract {
  const rules: Record<string, ContractRule> = {}
  for (const [key, schema] of Object.entries(ChatGptComplianceConfig.properties as Record<string, Record<string, unknown>>)) rules[key] = contractRule(schema)
  return { schemaType: CHATGPT_COMPLIANCE_TYPE, eventTypes: [...CHATGPT_EVENT_TYPES], rules }
}
