// The OpenAPI document is valid OpenAPI 3 and lists every route the service serves.
import { validate, compileErrors } from '@readme/openapi-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestService, type TestService } from '../../helpers/app.js'

let t: TestService
let doc: any
beforeAll(async () => {
  t = await startTestService()
  const res = await t.app.inject({ method: 'GET', url: '/openapi.json' })
  expect(res.statusCode).toBe(200)
  doc = res.json()
})
afterAll(async () => {
  await t?.close()
})

/** `/api/v1/collectors/:id` → `/v1/collectors/{id}` (the document's servers add `/api` or nothing). */
function documentedPath(url: string): string {
  return url.replace(/^\/api\/v1/, '/v1').replace(/:([A-Za-z]+)/g, '{$1}').replace(/\/$/, '') || '/'
}

describe('OpenAPI document', () => {
  it('is served without credentials and validates as OpenAPI 3', async () => {
    expect(doc.openapi).toMatch(/^3\./)
    const result = await validate(structuredClone(doc))
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true)
  })

  it('documents every route the app registered, under both prefixes via its servers', () => {
    expect(doc.servers.map((s: { url: string }) => s.url)).toEqual(['/api', '/'])
    const routes = t.app.routeList.filter(
      (r) => r.method !== 'HEAD' && r.method !== 'OPTIONS' && !r.url.startsWith('/docs'), // Swagger UI's own static assets
    )
    expect(routes.length).toBeGreaterThan(10)
    const missing = routes.filter((r) => !doc.paths[documentedPath(r.url)]?.[r.method.toLowerCase()])
    expect(missing).toEqual([])
    for (const r of routes.filter((r) => r.url.startsWith('/v1'))) {
      expect(routes.some((o) => o.method === r.method && o.url === `/api${r.url}`), `${r.method} ${r.url} has an /api twin`).toBe(true)
    }
  })

  it('shows the ChatGPT Compliance config schema for source bodies and the error body shape', () => {
    const schemas = doc.components.schemas
    expect(schemas.ChatGptComplianceConfig.properties).toHaveProperty('apiKey')
    expect(schemas.ChatGptComplianceConfig.properties.enabledEventType.items.enum).toEqual(['CONVERSATION', 'CODEX', 'CODEX_SECURITY', 'AUDIT', 'APP', 'AUTH', 'APP_AUTH'])
    expect(JSON.stringify(schemas.SourceInput.properties.config)).toContain('#/components/schemas/ChatGptComplianceConfig')
    expect(schemas.ErrorBody.required).toEqual(expect.arrayContaining(['status', 'id', 'code', 'message']))
    // GET of a source documents both answers: the source, and the ?download=true shape.
    const get200 = JSON.stringify(doc.paths['/v1/collectors/{collectorId}/sources/{sourceId}'].get.responses['200'])
    expect(get200).toContain('api.version')
    expect(get200).toContain('#/components/schemas/Source')
  })

  it('serves a docs UI at /docs that a person can browse, without credentials', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/html')
    expect(res.body).toContain('swagger')
    const json = await t.app.inject({ method: 'GET', url: '/docs/json' })
    expect(json.statusCode).toBe(200)
  })
})
