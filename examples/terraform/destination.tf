# The other half of the flow: the events main.tf collects are delivered to Splunk through its HTTP Event
# Collector (HEC), with indexer acknowledgement, so a batch counts as delivered only once Splunk indexed it.
#
#   terraform apply -var chatgpt_workspace_id=... -var chatgpt_api_key=sk-... \
#     -var splunk_hec_url=https://splunk.example:8088 -var splunk_hec_token=...
#
# The HEC token goes to the write-only attribute token_wo from an ephemeral variable: it is sent to the
# service but stored neither in the plan nor in the state. Raise splunk_hec_token_version to send a new
# token (the service keeps the one it has on any other change).

variable "splunk_hec_url" {
  type        = string
  description = "HEC base URL, e.g. https://splunk.example:8088."
}

variable "splunk_hec_token" {
  type        = string
  description = "HEC token."
  sensitive   = true
  ephemeral   = true
}

variable "splunk_hec_token_version" {
  type        = number
  description = "Change to send a new splunk_hec_token."
  default     = 1
}

resource "openc2c_destination" "splunk" {
  name               = "splunk"
  type               = "splunk_hec"
  secrets_wo_version = var.splunk_hec_token_version

  splunk_hec {
    url         = var.splunk_hec_url
    token_wo    = var.splunk_hec_token
    indexer_ack = true
  }

  # The audit and sign-in trail of this collector; without a filter, every event goes.
  filter {
    collector_ids = [openc2c_collector.chatgpt.id]
    event_types   = ["AUDIT", "AUTH"]
  }
}

output "destination_id" {
  value = openc2c_destination.splunk.id
}

output "destination_state" {
  value = openc2c_destination.splunk.state
}
