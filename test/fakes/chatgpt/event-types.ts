// Event types and the line envelope of the Compliance Logs Platform (docs/logs-platform.md §4, §10).

export const COMPLIANCE_EVENT_TYPES = [
  'CONVERSATION_MESSAGE',
  'CODEX_LOG',
  'CODEX_SECURITY_LOG',
  'AUDIT_LOG',
  'APP_LOG',
  'AUTH_LOG',
  'APP_AUTH_LOG',
  'CUSTOM_AGENTS_LOG',
] as const

export type ComplianceEventType = (typeof COMPLIANCE_EVENT_TYPES)[number]

export function isComplianceEventType(value: string): value is ComplianceEventType {
  return (COMPLIANCE_EVENT_TYPES as readonly string[]).includes(value)
}

/**
 * Every type above is workspace-scoped; the organization path answers 400 for them (docs/logs-platform.md §1, §10).
 * Kept as a predicate so an org-scoped type (COSTS) can be added without touching the listener.
 */
export function isWorkspaceScoped(_type: ComplianceEventType): boolean {
  return true
}

/** Fine-grained Admin-key scope name for reading one event type (docs/logs-platform.md §1). */
export function readScopeName(type: ComplianceEventType): string {
  return `chatgpt.enterprise.compliance_logs_platform.${type.toLowerCase()}.read`
}

export interface ComplianceActorUser {
  type: 'ACCOUNT_USER' | 'EXTERNAL_COLLABORATION_USER'
  user_id: string
  user_email: string
}

export interface ComplianceActorApiKey {
  type: 'API_KEY'
  redacted_id: string
}

export type ComplianceActor = ComplianceActorUser | ComplianceActorApiKey

export interface ClientIpDetails {
  country: string
  city: string
  region: string
  region_code: string
  asn: string
  latitude: string
  longitude: string
}

export interface RequestMetadata {
  client_ip: string
  client_ip_details: ClientIpDetails
  client_user_agent: string
  client_ja3: string
  client_ja4: string
  destination_hostname: string | null
}

/** One line of a log file: the common envelope plus per-type fields at top level (docs/logs-platform.md §4). */
export interface ComplianceEvent {
  event_id: string
  type: ComplianceEventType
  timestamp: string
  principal: { id: string; type: 'CHATGPT_WORKSPACE' | 'API_PLATFORM_ORG' }
  actor: ComplianceActor
  request_metadata?: RequestMetadata
  [field: string]: unknown
}
