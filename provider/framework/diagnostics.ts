// Diagnostics are how a provider reports errors and warnings to Terraform; each may point at an attribute.

import { toProtoPath, type AttributePath, type ProtoAttributePath } from './attribute-path.js'

export interface Diagnostic {
  severity: 'error' | 'warning'
  summary: string
  detail?: string
  path?: AttributePath
}

export class Diagnostics {
  readonly items: Diagnostic[] = []

  error(summary: string, detail?: string, path?: AttributePath): void {
    this.items.push({ severity: 'error', summary, ...(detail !== undefined && { detail }), ...(path && { path }) })
  }

  warning(summary: string, detail?: string, path?: AttributePath): void {
    this.items.push({ severity: 'warning', summary, ...(detail !== undefined && { detail }), ...(path && { path }) })
  }

  add(...diagnostics: Diagnostic[]): void {
    this.items.push(...diagnostics)
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error')
  }
}

/** Thrown from deep inside an operation (e.g. the API client) to end it with these diagnostics. */
export class DiagnosticError extends Error {
  readonly diagnostics: Diagnostic[]

  constructor(diagnostics: Diagnostic | Diagnostic[]) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics]
    super(list.map((d) => d.summary).join('; '))
    this.name = 'DiagnosticError'
    this.diagnostics = list
  }
}

/** Any exception as diagnostics. Unexpected ones keep message and stack: otherwise gRPC turns them into
 * "Unknown error" and the message is lost. */
export function diagnosticsFromError(error: unknown, context: string): Diagnostic[] {
  if (error instanceof DiagnosticError) return error.diagnostics
  const err = error instanceof Error ? error : new Error(String(error))
  return [
    {
      severity: 'error',
      summary: `openc2c provider: unexpected error in ${context}`,
      detail: `${err.message}\n\nThis is a bug in the provider; please report it with this stack:\n${err.stack ?? ''}`,
    },
  ]
}

export interface ProtoDiagnostic {
  severity: 'ERROR' | 'WARNING'
  summary: string
  detail: string
  attribute?: ProtoAttributePath
}

export function toProtoDiagnostic(diagnostic: Diagnostic): ProtoDiagnostic {
  return {
    severity: diagnostic.severity === 'error' ? 'ERROR' : 'WARNING',
    summary: diagnostic.summary,
    detail: diagnostic.detail ?? '',
    ...(diagnostic.path && diagnostic.path.length > 0 && { attribute: toProtoPath(diagnostic.path) }),
  }
}
