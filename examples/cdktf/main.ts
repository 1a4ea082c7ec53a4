// A CDKTF app declaring a collector and a ChatGPT Compliance source with the openc2c constructs.
//
//   cd examples/cdktf && npx cdktf synth        → cdktf.out/stacks/chatgpt-compliance/cdk.tf.json
//
// Endpoint and credentials stay out of the synthesized JSON: the provider reads OPENC2C_ENDPOINT,
// OPENC2C_ACCESS_ID and OPENC2C_ACCESS_KEY. The workspace id and the API key are Terraform variables
// (TF_VAR_chatgpt_workspace_id, TF_VAR_chatgpt_api_key); the key goes to the write-only attribute.

import { App, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf'
import type { Construct } from 'constructs'
import { ChatgptComplianceSource, Collector, Openc2cProvider } from '../../provider/cdktf/index.js'

class ChatgptComplianceStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id)
    new Openc2cProvider(this, 'openc2c')

    const workspaceId = new TerraformVariable(this, 'chatgpt_workspace_id', { type: 'string', description: 'ChatGPT Enterprise workspace id' })
    const apiKey = new TerraformVariable(this, 'chatgpt_api_key', { type: 'string', sensitive: true, description: 'OpenAI API key with Compliance API read scope' })
    // CDKTF 0.21 predates ephemeral variables (Terraform 1.10); the override marks the key ephemeral so it
    // can only flow into the write-only attribute.
    apiKey.addOverride('ephemeral', true)

    const collector = new Collector(this, 'collector', {
      name: 'chatgpt-enterprise-cdktf',
      description: 'ChatGPT Enterprise compliance logs (CDKTF)',
      category: 'chatgpt',
    })

    const source = new ChatgptComplianceSource(this, 'compliance', {
      collectorId: collector.id,
      name: 'chatgpt-compliance',
      workspaceId: workspaceId.stringValue,
      apiKeyWo: apiKey.stringValue,
      apiKeyWoVersion: 1,
      pollingIntervalHours: 1,
      eventTypes: ['CONVERSATION', 'AUDIT'],
    })

    new TerraformOutput(this, 'collector_id', { value: collector.id })
    new TerraformOutput(this, 'source_id', { value: source.id })
  }
}

const app = new App()
new ChatgptComplianceStack(app, 'chatgpt-compliance')
app.synth()
