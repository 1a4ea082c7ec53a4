// Value pools for generated events. Values imitate the shapes listed in docs/logs-platform.md §4;
// IP addresses come from the documentation ranges (RFC 5737) and e-mail domains from `.example`,
// so generated data can never point at a real person or host.

import type { ClientIpDetails } from './event-types.js'

export const FIRST_NAMES = ['ada', 'grace', 'alan', 'barbara', 'edsger', 'frances', 'donald', 'margaret', 'ken', 'radia', 'john', 'sophie'] as const
export const LAST_NAMES = ['lovelace', 'hopper', 'turing', 'liskov', 'dijkstra', 'allen', 'knuth', 'hamilton', 'thompson', 'perlman', 'backus', 'wilson'] as const
export const EMAIL_DOMAIN = 'acme-corp.example'

export interface IpLocation {
  ip: string
  details: ClientIpDetails
}

export const IP_LOCATIONS: readonly IpLocation[] = [
  { ip: '203.0.113.17', details: { country: 'US', city: 'San Francisco', region: 'California', region_code: 'CA', asn: '13335', latitude: '37.7749', longitude: '-122.4194' } },
  { ip: '198.51.100.42', details: { country: 'DE', city: 'Berlin', region: 'Land Berlin', region_code: 'BE', asn: '3320', latitude: '52.5200', longitude: '13.4050' } },
  { ip: '192.0.2.88', details: { country: 'FR', city: 'Paris', region: 'Île-de-France', region_code: 'IDF', asn: '3215', latitude: '48.8566', longitude: '2.3522' } },
  { ip: '203.0.113.201', details: { country: 'JP', city: 'Tokyo', region: 'Tokyo', region_code: '13', asn: '2516', latitude: '35.6762', longitude: '139.6503' } },
  // Enrichment is sometimes unavailable: the spec notes every detail may be "".
  { ip: '198.51.100.7', details: { country: '', city: '', region: '', region_code: '', asn: '', latitude: '', longitude: '' } },
  { ip: '2001:db8::5f1e:22', details: { country: 'GB', city: 'London', region: 'England', region_code: 'ENG', asn: '5089', latitude: '51.5072', longitude: '-0.1276' } },
]

export const USER_AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36 Edg/141.0.0.0',
  'Mozilla/5.0 (X11; Linux x86_64; rv:144.0) Gecko/20100101 Firefox/144.0',
  'ChatGPT/1.2026.301 (Mac OS X 15.6; arm64; build 1761234567)',
  'ChatGPT/1.2026.298 (iOS 26.0; iPhone17,1; build 18765)',
  'codex_cli_rs/0.58.0 (Ubuntu 24.04; x86_64) xterm-256color',
] as const

export const DESTINATION_HOSTNAMES = ['chatgpt.com', 'api.chatgpt.com', 'auth.openai.com', null] as const

export const CLIENT_TYPES = ['desktop_web', 'macos_app', 'windows_app', 'ios_app', 'android_app', 'unknown'] as const
export const ASSISTANT_MODELS = ['gpt-5-5', 'gpt-5-6-thinking', 'gpt-5-5-mini', 'gpt-5-6'] as const
export const ASSISTANT_TOOLS = ['browser', 'python', 'file_search', 'image_gen', 'canvas'] as const
export const ASSISTANT_SKILLS = ['spreadsheets', 'slides', 'pdf-reader'] as const

export const CONVERSATION_TITLES = [
  'Quarterly revenue summary',
  'Refactor payment retry logic',
  'Draft onboarding email',
  'Explain SAML assertion errors',
  'Translate release notes to German',
  'Compare vendor security questionnaires',
  'SQL for churn cohort analysis',
  'Summarise incident postmortem',
] as const

export const USER_PROMPTS = [
  'Can you summarise the attached report in five bullet points?',
  'Rewrite this paragraph so it sounds less formal.',
  'Why does my Terraform plan show a diff on every run?',
  'Give me a checklist for rotating API keys without downtime.',
  'What are the main differences between OAuth client credentials and JWT bearer grants?',
  'Write a unit test for a function that parses ISO-8601 timestamps with microseconds.',
] as const

export const ASSISTANT_REPLIES = [
  'Here is a concise summary of the key points:\n\n1. Revenue grew 12% quarter over quarter.\n2. Churn stayed flat.',
  'Sure. A less formal version could read: "We shipped the new dashboard last week and the feedback has been great."',
  'A persistent diff usually means a provider normalises a value differently from your configuration, for example a JSON string with different key order.',
  'Rotate in two steps: add the new key alongside the old one, switch every consumer, then revoke the old key once traffic shows no more use.',
  'Client credentials authenticate the application itself, while the JWT bearer grant exchanges a signed assertion for a token.',
] as const

export const FILE_NAMES = ['q3-report.pdf', 'architecture.png', 'customers.csv', 'notes.docx', 'invoice-2026-10.pdf'] as const

export const AUTH_ACTIONS = ['login_success', 'login_failed', 'logout_success', 'token_issued', 'signup_success', 'password_reset_initiated'] as const
export const AUTH_PROVIDERS = ['password', 'google', 'saml', 'microsoft'] as const
export const WORKSPACE_ROLES = ['standard-user', 'account-admin', 'account-owner'] as const

export const WORKSPACE_FEATURES = ['memory', 'connectors', 'codex', 'temporary_chat', 'custom_gpts', 'record_mode'] as const
export const AUDIT_RESULTS = ['SUCCESS', 'SUCCESS', 'SUCCESS', 'BLOCKED', 'ERROR'] as const
export const GROUP_NAMES = ['engineering', 'finance', 'legal', 'sales-emea', 'security'] as const

export const APPS = [
  { name: 'Google Drive', type: 'FIRST_PARTY_ECOSYSTEM', action: 'search_files' },
  { name: 'SharePoint', type: 'FIRST_PARTY_ECOSYSTEM', action: 'fetch_document' },
  { name: 'GitHub', type: 'SERVICE', action: 'search_issues' },
  { name: 'Linear', type: 'MCP', action: 'list_issues' },
  { name: 'Internal Wiki', type: 'MCP', action: 'query_pages' },
  { name: 'Weather Lookup', type: 'OPEN_API', action: 'get_forecast' },
  { name: 'Legacy Helpdesk', type: 'UNKNOWN', action: 'create_ticket' },
] as const

export const CODEX_CLIENTS = [
  'CODEX_CLI',
  'CODEX_WEB',
  'CODEX_IDE_VSCODE',
  'CODEX_DESKTOP_APP',
  'CODEX_GITHUB_ACTION',
  'CODEX_SDK_TS',
  'CODEX_SERVICE_EXEC',
  'CODEX_UNKNOWN_DEFAULT',
] as const
export const CODEX_EVENT_TYPES = [
  'PROMPT_SENT',
  'PROMPT_RESPONSE_RECEIVED',
  'TOOL_CALL_COMPLETED',
  'APP_MCP_CALL',
  'ACCESS_TOKEN_CREATED',
  'SESSION_ARCHIVED',
] as const
export const CODEX_MODELS = ['gpt-5-codex', 'gpt-5-1-codex-max', 'gpt-5-1-codex-mini'] as const
export const CODEX_TOOLS = [
  { name: 'shell', type: 'function', input: { command: ['npm', 'test'] } },
  { name: 'apply_patch', type: 'custom', input: { patch: '*** Begin Patch\n*** Update File: src/index.ts\n*** End Patch' } },
  { name: 'read_file', type: 'function', input: { path: 'README.md' } },
] as const
export const REPOSITORIES = ['acme-corp/payments', 'acme-corp/web-frontend', 'acme-corp/infra', 'acme-corp/data-pipeline'] as const

export const SECURITY_DETAIL_TYPES = [
  'SCAN_CONFIGURATION_CREATED',
  'SCAN_CONFIGURATION_UPDATED',
  'FINDING_UPDATED',
  'FINDING_PR_CREATED',
] as const
export const FINDING_CRITICALITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const
export const FINDING_STATUSES = ['OPEN', 'TRIAGED', 'FIXED', 'DISMISSED'] as const

export const AGENT_EVENT_TYPES = [
  'AGENT_CREATED',
  'AGENT_UPDATED',
  'AGENT_RUN_STARTED',
  'AGENT_RUN_COMPLETED',
  'AGENT_MEMORY_UPDATED',
  'AGENT_CONNECTOR_CALL',
] as const
export const AGENT_NAMES = ['Invoice triage', 'Weekly metrics digest', 'On-call helper', 'Contract reviewer'] as const

// Long padding is built from this text so inflated events still read like prose.
export const FILLER_TEXT =
  'The quick brown fox jumps over the lazy dog while the compliance team reviews the quarterly export. ' +
  'Every event carries an identifier, a timestamp and the actor who caused it, so auditors can replay history. '
