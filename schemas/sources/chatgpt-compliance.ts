// Config contract of the "ChatGPT Compliance" source (docs/sumo-collector-api.md §9).
// Sumo's published docs disagree with themselves, so both spellings are accepted: `workspaceID`
// (examples) or `workspaceId` (tables), and `pollingIntervalHour: "1h"` (examples) or
// `pollingInterval: 1` (the GA table's integer hours). Cross-field rules live in
// api/sources/chatgpt-compliance/config.ts.
import { Type, type Static } from '@sinclair/typebox'

export const CHATGPT_COMPLIANCE_TYPE = 'ChatGPT Compliance'

export const CHATGPT_EVENT_TYPES = ['CONVERSATION', 'CODEX', 'CODEX_SECURITY', 'AUDIT', 'APP', 'AUTH', 'APP_AUTH'] as const
export type ChatGptEventType = (typeof CHATGPT_EVENT_TYPES)[number]

/** Sumo's short names → the Logs Platform's `event_type` values (docs/logs-platform.md §10). */
export const UPSTREAM_EVENT_TYPE: Record<ChatGptEventType, string> = {
  CONVERSATION: 'CONVERSATION_MESSAGE',
  CODEX: 'CODEX_LOG',
  CODEX_SECURITY: 'CODEX_SECURITY_LOG',
  AUDIT: 'AUDIT_LOG',
  APP: 'APP_LOG',
  AUTH: 'AUTH_LOG',
  APP_AUTH: 'APP_AUTH_LOG',
}

export const SourceFields = Type.Object(
  { _siemForward: Type.Optional(Type.Boolean({ description: 'Forward events to the SIEM' })) },
  {
    additionalProperties: Type.String({ maxLength: 1024 }),
    description: 'Metadata fields; string values, except `_siemForward`, which is a boolean',
  },
)

// The messages of these patterns never quote the value: a rejected value may hold control characters
// (which would break log lines and error text) or, for apiKey, a secret.
const WorkspaceId = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9_-]+$',
  'x-error-message': 'must be 1 to 128 letters, digits, "-" or "_" (a workspace UUID, or an org- id)',
})

export const ChatGptComplianceConfig = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, pattern: '\\S', 'x-error-message': 'must be 1 to 128 characters and not blank' }),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    category: Type.Optional(Type.String({ maxLength: 1024 })),
    fields: Type.Optional(SourceFields),
    workspaceID: Type.Optional(WorkspaceId),
    workspaceId: Type.Optional(WorkspaceId),
    // Sent as an HTTP header value upstream, so printable ASCII only: no spaces, newlines or NULs.
    apiKey: Type.String({
      minLength: 1,
      maxLength: 1024,
      pattern: '^[\\x21-\\x7E]+$',
      'x-error-message': 'must be 1 to 1024 printable ASCII characters, without spaces or control characters',
      description: 'Secret: write-only, reads back as "********"',
    }),
    pollingIntervalHour: Type.Optional(
      Type.String({ pattern: '^([1-9]|1[0-9]|2[0-4])h$', default: '1h', 'x-error-message': 'must be "1h" to "24h"' }),
    ),
    pollingInterval: Type.Optional(Type.Integer({ minimum: 1, maximum: 24, description: 'Hours; alias of pollingIntervalHour' })),
    enabledEventType: Type.Optional(
      Type.Array(Type.Unsafe<ChatGptEventType>({ type: 'string', enum: [...CHATGPT_EVENT_TYPES] }), {
        minItems: 1,
        uniqueItems: true,
        default: ['CONVERSATION'],
      }),
    ),
  },
  { additionalProperties: false, $id: 'ChatGptComplianceConfig', title: 'ChatGPT Compliance config' },
)
export type ChatGptComplianceConfig = Static<typeof ChatGptComplianceConfig>
