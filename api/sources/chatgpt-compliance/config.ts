// The ChatGPT Compliance config as the runner uses it: aliases resolved and defaults applied.
import {
  type ChatGptComplianceConfig,
  type ChatGptEventType,
  UPSTREAM_EVENT_TYPE,
} from '../../../schemas/sources/chatgpt-compliance.js'
import type { ValidationIssue } from '../../../schemas/error-body.js'

export interface EffectiveChatGptConfig {
  workspaceId: string
  apiKey: string
  pollingIntervalHours: number
  /** Sumo short names, e.g. CONVERSATION. */
  eventTypes: ChatGptEventType[]
  /** The Logs Platform's event_type values, e.g. CONVERSATION_MESSAGE, in the same order. */
  upstreamEventTypes: string[]
}

const DEFAULT_EVENT_TYPES: ChatGptEventType[] = ['CONVERSATION']

/** Checks only the rules the JSON schema can't express: one workspace id, one interval. */
export function checkChatGptConfig(config: Record<string, unknown>): ValidationIssue[] {
  const c = config as ChatGptComplianceConfig
  const issues: ValidationIssue[] = []
  if (c.workspaceID === undefined && c.workspaceId === undefined) {
    issues.push({ path: '$.workspaceID', message: 'is required (the documented spelling workspaceId is accepted too)' })
  } else if (c.workspaceID !== undefined && c.workspaceId !== undefined && c.workspaceID !== c.workspaceId) {
    issues.push({ path: '$.workspaceId', message: 'disagrees with workspaceID; send one of the two spellings' })
  }
  if (c.pollingIntervalHour !== undefined && c.pollingInterval !== undefined && parseInt(c.pollingIntervalHour, 10) !== c.pollingInterval) {
    issues.push({ path: '$.pollingInterval', message: `disagrees with pollingIntervalHour ("${c.pollingIntervalHour}"); send one of the two` })
  }
  return issues
}

export function effectiveChatGptConfig(config: Record<string, unknown>, secrets: Record<string, string>): EffectiveChatGptConfig {
  const c = config as ChatGptComplianceConfig
  const hours = c.pollingIntervalHour !== undefined ? parseInt(c.pollingIntervalHour, 10) : (c.pollingInterval ?? 1)
  const eventTypes = c.enabledEventType ?? DEFAULT_EVENT_TYPES
  return {
    workspaceId: (c.workspaceID ?? c.workspaceId) as string,
    apiKey: secrets.apiKey ?? '',
    pollingIntervalHours: hours,
    eventTypes: [...eventTypes],
    upstreamEventTypes: eventTypes.map((t) => UPSTREAM_EVENT_TYPE[t]),
  }
}
