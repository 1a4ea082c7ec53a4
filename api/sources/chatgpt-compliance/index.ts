// The "ChatGPT Compliance" source type: pulls OpenAI's Compliance Logs Platform files.
import { CHATGPT_COMPLIANCE_TYPE, ChatGptComplianceConfig } from '../../../schemas/sources/chatgpt-compliance.js'
import type { SourceTypeDefinition } from '../source-type.js'
import { checkChatGptConfig } from './config.js'

export const chatGptComplianceSourceType: SourceTypeDefinition = {
  type: CHATGPT_COMPLIANCE_TYPE,
  configSchema: ChatGptComplianceConfig,
  secretKeys: ['apiKey'],
  checkConfig: checkChatGptConfig,
}
