# The documented Sumo Logic example (main.tf) with sumologic_ renamed to openc2c_, unchanged otherwise.
# Only this file is new: it says which provider the openc2c_ resources come from. Endpoint and
# credentials come from OPENC2C_ENDPOINT, OPENC2C_ACCESS_ID and OPENC2C_ACCESS_KEY.
terraform {
  required_providers {
    openc2c = {
      source  = "openc2c/openc2c"
      version = "~> 0.1"
    }
  }
}

provider "openc2c" {}
