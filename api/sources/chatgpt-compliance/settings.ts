// The ChatGPT Compliance type's operator settings: where the Compliance API is and how hard to call
// it. They apply to every source of the type on this replica, never per source.
import type { EnvReader } from '../../shared/env.js'

export interface ChatGptSettings {
  baseUrl: string
  /** Per route and workspace, per replica; 0 means no limit. */
  requestsPerMinute: number
  /** How far back a new source starts. */
  initialLookbackDays: number
}

export function readChatGptSettings(env: EnvReader): ChatGptSettings {
  return {
    baseUrl: env.httpUrl('OPENC2C_CHATGPT_BASE_URL', 'https://api.chatgpt.com/v1'),
    // The Logs Platform allows 100 requests per minute per route; stay under it with margin.
    requestsPerMinute: env.integer('OPENC2C_UPSTREAM_REQUESTS_PER_MINUTE', 90, 0, 100_000),
    // The platform keeps files for 30 days, so looking further back finds nothing.
    initialLookbackDays: env.integer('OPENC2C_INITIAL_LOOKBACK_DAYS', 30, 1, 30),
  }
}
