// Request bodies used across tests, shaped like what users and the Sumo Terraform provider send.
export const EXAMPLE_API_KEY = 'sk-proj-XXXXXXXXX'

export function chatGptSourceBody(overrides: Record<string, unknown> = {}, configOverrides: Record<string, unknown> = {}) {
  return {
    'api.version': 'v1',
    source: {
      config: {
        name: 'ChatGPT Compliance',
        workspaceID: 'ABCD-SAMPLE-WORKSPACE-ID',
        apiKey: EXAMPLE_API_KEY,
        enabledEventType: ['CONVERSATION', 'CODEX', 'CODEX_SECURITY', 'AUDIT', 'APP', 'AUTH', 'APP_AUTH'],
        pollingIntervalHour: '1h',
        ...configOverrides,
      },
      schemaRef: { type: 'ChatGPT Compliance' },
      sourceType: 'Universal',
      ...overrides,
    },
  }
}

export function collectorBody(name: string, extra: Record<string, unknown> = {}) {
  return { collector: { collectorType: 'Hosted', name, ...extra } }
}
