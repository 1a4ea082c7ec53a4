# A ChatGPT Enterprise workspace's compliance logs, collected by openc2c.
#
#   export OPENC2C_ENDPOINT=http://127.0.0.1:8080 OPENC2C_ACCESS_ID=... OPENC2C_ACCESS_KEY=...
#   terraform init && terraform apply -var chatgpt_workspace_id=... -var chatgpt_api_key=sk-...
#
# The API key goes to the write-only attribute api_key_wo from an ephemeral variable: it is sent to the
# service but stored neither in the plan nor in the state. Raise chatgpt_api_key_version to rotate it.
# destination.tf, beside this file, delivers the collected events to Splunk.
terraform {
  required_version = ">= 1.11" # write-only attributes and ephemeral variables
  required_providers {
    openc2c = {
      source  = "openc2c/openc2c"
      version = "~> 0.1"
    }
  }
}

provider "openc2c" {}

variable "chatgpt_workspace_id" {
  type        = string
  description = "ChatGPT Enterprise workspace id (workspace settings)."
}

variable "chatgpt_api_key" {
  type        = string
  description = "OpenAI API key with Compliance API read scope."
  sensitive   = true
  ephemeral   = true
}

variable "chatgpt_api_key_version" {
  type        = number
  description = "Change to send a new chatgpt_api_key."
  default     = 1
}

variable "event_types" {
  type        = set(string)
  description = "CONVERSATION, CODEX, CODEX_SECURITY, AUDIT, APP, AUTH, APP_AUTH."
  default     = ["CONVERSATION", "AUDIT", "AUTH"]
}

resource "openc2c_collector" "chatgpt" {
  name        = "chatgpt-enterprise"
  description = "ChatGPT Enterprise compliance logs"
  category    = "chatgpt"
  time_zone   = "UTC"
  fields = {
    team = "security"
  }
}

resource "openc2c_chatgpt_compliance_source" "workspace" {
  collector_id           = openc2c_collector.chatgpt.id
  name                   = "chatgpt-compliance"
  category               = "chatgpt/compliance"
  workspace_id           = var.chatgpt_workspace_id
  api_key_wo             = var.chatgpt_api_key
  api_key_wo_version     = var.chatgpt_api_key_version
  polling_interval_hours = 1
  event_types            = var.event_types
  fields = {
    _siemForward = "true"
  }
}

output "collector_id" {
  value = openc2c_collector.chatgpt.id
}

output "source_id" {
  value = openc2c_chatgpt_compliance_source.workspace.id
}

output "source_state" {
  value = openc2c_chatgpt_compliance_source.workspace.state
}
