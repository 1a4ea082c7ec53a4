// The provider's release version: the folder name in the filesystem mirror and the executable's suffix.
export const PROVIDER_VERSION = '0.1.0'

/** Registry address users put in required_providers: source = "openc2c/openc2c". */
export const PROVIDER_ADDRESS = 'registry.terraform.io/openc2c/openc2c'
