// Source import ids are "<collectorId>/<sourceId>", as for the Sumo provider's sources.

import { DiagnosticError } from '../framework/diagnostics.js'

export function parseSourceImportId(id: string, typeName: string): { collectorId: number; sourceId: string } {
  const match = /^\s*(\d+)\/(\d+)\s*$/.exec(id)
  if (!match) {
    throw new DiagnosticError({
      severity: 'error',
      summary: 'Invalid import id',
      detail: `Import a source as <collectorId>/<sourceId>, e.g. \`terraform import ${typeName}.x 12/34\`; got ${JSON.stringify(id)}.`,
    })
  }
  return { collectorId: Number(match[1]), sourceId: match[2] as string }
}
