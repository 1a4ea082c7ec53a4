// The openc2c provider block: where the service is and how to authenticate. Each setting falls back to
// an environment variable, so configurations need not carry credentials.

import { attributePath } from '../framework/attribute-path.js'
import type { Diagnostics } from '../framework/diagnostics.js'
import type { Logger } from '../framework/logger.js'
import type { ProviderDefinition } from '../framework/resource.js'
import type { BlockSchema } from '../framework/schema.js'
import { ApiClient } from '../client/api-client.js'
import { PROVIDER_VERSION } from '../version.js'
import { chatgptComplianceSourceResource } from './chatgpt-compliance-source.js'
import { cloudToCloudSourceResource } from './cloud-to-cloud-source.js'
import { collectorDataSource } from './collector-data-source.js'
import { collectorResource } from './collector.js'
import { destinationResource } from './destination.js'
import { isUnknown, type TfRecord } from '../tfvalue/value.js'

export const ENVIRONMENT = { endpoint: 'OPENC2C_ENDPOINT', accessId: 'OPENC2C_ACCESS_ID', accessKey: 'OPENC2C_ACCESS_KEY' } as const

export const providerSchema: BlockSchema = {
  version: 0,
  description: 'openc2c: hosted collectors and Cloud-to-Cloud sources through the Collector Management API, and destinations that deliver their events.',
  attributes: {
    endpoint: { type: 'string', optional: true, description: `Service base URL, e.g. \`http://127.0.0.1:8080\`. Env: \`${ENVIRONMENT.endpoint}\`.` },
    access_id: { type: 'string', optional: true, description: `Access id. Env: \`${ENVIRONMENT.accessId}\`.` },
    access_key: { type: 'string', optional: true, sensitive: true, description: `Access key. Env: \`${ENVIRONMENT.accessKey}\`.` },
  },
}

function validateEndpoint(value: string, diagnostics: Diagnostics): void {
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    diagnostics.error('Invalid endpoint', `endpoint must be an http(s) URL such as http://127.0.0.1:8080; got ${JSON.stringify(value)}.`, attributePath('endpoint'))
  }
}

export function openc2cProvider(env: NodeJS.ProcessEnv = process.env): ProviderDefinition<ApiClient> {
  return {
    typeName: 'openc2c',
    schema: providerSchema,
    resources: [collectorResource, cloudToCloudSourceResource, chatgptComplianceSourceResource, destinationResource],
    dataSources: [collectorDataSource],

    validateConfig(config: TfRecord, diagnostics: Diagnostics) {
      if (typeof config.endpoint === 'string') validateEndpoint(config.endpoint, diagnostics)
    },

    configure(config: TfRecord, diagnostics: Diagnostics, log: Logger) {
      const setting = (attribute: 'endpoint' | 'access_id' | 'access_key', variable: string): string | undefined => {
        const value = config[attribute]
        if (isUnknown(value)) {
          diagnostics.error(`Unknown ${attribute}`, `${attribute} depends on a value known only after apply; the provider needs it to plan.`, attributePath(attribute))
          return undefined
        }
        const resolved = typeof value === 'string' && value !== '' ? value : env[variable]
        if (!resolved) diagnostics.error(`Missing ${attribute}`, `Set ${attribute} in the provider block or the ${variable} environment variable.`, attributePath(attribute))
        return resolved || undefined
      }
      const endpoint = setting('endpoint', ENVIRONMENT.endpoint)
      const accessId = setting('access_id', ENVIRONMENT.accessId)
      const accessKey = setting('access_key', ENVIRONMENT.accessKey)
      if (endpoint) validateEndpoint(endpoint, diagnostics)
      if (diagnostics.hasErrors || !endpoint || !accessId || !accessKey) return undefined
      return new ApiClient({ endpoint, accessId, accessKey }, `terraform-provider-openc2c/${PROVIDER_VERSION}`, log)
    },
  }
}
