// The "ChatGPT Compliance" source type: pulls OpenAI's Compliance Logs Platform files.
import { CHATGPT_COMPLIANCE_TYPE, ChatGptComplianceConfig } from '../../../schemas/sources/chatgpt-compliance.js'
import { SlidingWindowLimiter } from '../../shared/rate-limiter.js'
import type { SourceTypeDefinition } from '../source-type.js'
import { checkChatGptConfig, effectiveChatGptConfig } from './config.js'
import { createChatGptMetrics } from './metrics.js'
import { runChatGptCompliance } from './runner.js'
import { type ChatGptSettings, readChatGptSettings } from './settings.js'

export const chatGptComplianceSourceType: SourceTypeDefinition<ChatGptSettings> = {
  type: CHATGPT_COMPLIANCE_TYPE,
  configSchema: ChatGptComplianceConfig,
  secretKeys: ['apiKey'],
  checkConfig: checkChatGptConfig,
  pollingIntervalHours: (config) => effectiveChatGptConfig(config, {}).pollingIntervalHours,
  readSettings: readChatGptSettings,
  createRunner(settings, registry) {
    // One budget per replica, shared by every source of the type (it is keyed by workspace and route).
    const limiter = new SlidingWindowLimiter(settings.requestsPerMinute)
    const metrics = createChatGptMetrics(registry)
    return (ctx) => runChatGptCompliance(ctx, { settings, limiter, metrics })
  },
}
