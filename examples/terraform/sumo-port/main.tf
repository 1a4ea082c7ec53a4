resource "openc2c_cloud_to_cloud_source" "chatgpt-compliance-source" {
  collector_id = openc2c_collector.collector.id

  schema_ref = {
    type = "ChatGPT Compliance"
  }

  config = jsonencode({
    name                = "ChatGPT Compliance"
    workspaceID         = "ABCD-SAMPLE-WORKSPACE-ID"
    apiKey              = "sk-proj-XXXXXXXXX"
    enabledEventType    = ["CONVERSATION"]
    pollingIntervalHour = "1h"
  })
}

resource "openc2c_collector" "collector" {
  name        = "my-collector"
  description = "Just testing this"
}
