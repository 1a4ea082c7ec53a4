// The "ChatGPT Compliance" source type: pulls OpenAI's Compliance Logs Platform files.
import { CHATGPT_COMPLIANCE_TYPE, ChatGptComplianceConfig } from '../../../schemas/sources/chatgpt-compliance.js'
import type { SourceTypeDefinition } from '../source-type.js'
import { checkChatGptConfig, effectiveChatGptConfig } from './config.js'
import { runChatGptCompliance } from './runner.js'

export const chatGptComplianceSourceType: SourceTypeDefinition = {
  type: CHATGPT_COMPLIANCE_TYPE,
  configSchema: ChatGptComplianceConfig,
  secretKeys: ['apiKey'],
  checkConfig: checkChatGptConfig,
  pollingIntervalHours: (config) => effectiveChatGptConfig(config, {}).pollingIntervalHours,
  run: runChatGptCompliance,
}
