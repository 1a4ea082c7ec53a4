// JSON shapes of the Collector Management API (spec/collector-api.md §2.1, §3.3), the fields we use.

export interface CollectorWire {
  id?: number
  name: string
  description?: string | null
  category?: string | null
  timeZone?: string | null
  fields?: Record<string, string> | null
  collectorType?: string
}

export interface SourceStateWire {
  state: string
  errorType?: string
  errorCode?: string
  errorInfo?: string
}

export interface SourceWire {
  id?: number
  sourceType?: string
  schemaRef?: { type: string; version?: string }
  config?: Record<string, unknown>
  state?: SourceStateWire
  alive?: boolean
}

/** How the API masks every secret it returns (spec/collector-api.md §3.2); a PUT carrying it keeps the
 * stored secret. */
export const MASKED_SECRET = '********'
