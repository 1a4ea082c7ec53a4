// A CDKTF app declaring a collector, a ChatGPT Compliance source and a webhook destination for the
// collector's events, with the openc2c constructs.
//
//   cd examples/cdktf && npx cdktf synth        → cdktf.out/stacks/chatgpt-compliance/cdk.tf.json
//
// Endpoint and credentials stay out of the synthesized JSON: the provider reads OPENC2C_ENDPOINT,
// OPENC2C_ACCESS_ID and OPENC2C_ACCESS_KEY. The workspace id, the API key, the webhook's URL and its
// signing key are Terraform variables (TF_VAR_chatgpt_workspace_id, TF_VAR_chatgpt_api_key,
// TF_VAR_webhook_url, TF_VAR_webhook_signing_key); the secrets go to write-only attributes.

import { App, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf'
import type { Construct } from 'constructs'
import { ChatgptComplianceSource, Collector, Destination, Openc2cProvider } from '../../provider/cdktf/index.js'

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

    const webhookUrl = new TerraformVariable(this, 'webhook_url', { type: 'string', description: 'Where the webhook destination POSTs its batches' })
    const signingKey = new TerraformVariable(this, 'webhook_signing_key', { type: 'string', sensitive: true, description: 'Key of the HMAC signature on each batch' })
    signingKey.addOverride('ephemeral', true)

    const destination = new Destination(this, 'siem', {
      name: 'siem-webhook',
      type: 'webhook',
      secretsWoVersion: 1,
      webhook: { url: webhookUrl.stringValue, gzip: true, signingKeyWo: signingKey.stringValue },
      filter: { collectorIds: [collector.id] },
    })

    new TerraformOutput(this, 'collector_id', { value: collector.id })
    new TerraformOutput(this, 'source_id', { value: source.id })
    new TerraformOutput(this, 'destination_id', { value: destination.id })
  }
}

const app = new App()
new ChatgptComplianceStack(app, 'chatgpt-compliance')
app.synth()
