import SwaggerParser from '@apidevtools/swagger-parser'
import { generateApiKey } from '@comp-manager/fastify-auth'
import t from 'tap'
import { build } from './fixtures/helpers.js'

const METHODS = ['get', 'post', 'put', 'delete', 'patch']

interface Operation {
  tags?: string[]
  summary?: string
  description?: string
  security?: unknown[]
  responses?: Record<string, unknown>
}

t.test('the OpenAPI document validates and lists every route', async (t) => {
  const { hash } = generateApiKey('svc')
  const routes: Array<{ method: string; url: string; hide: boolean }> = []
  const app = await build(
    t,
    { API_KEYS: `svc:viewer:*:${hash}`, CORS_ORIGINS: 'https://app.example.com' },
    {
      onRoute: (route) => {
        for (const method of [route.method].flat()) {
          routes.push({
            method: method.toLowerCase(),
            url: route.url,
            hide: (route.schema as { hide?: boolean })?.hide === true,
          })
        }
      },
    },
  )
  const res = await app.inject('/docs/json')
  t.equal(res.statusCode, 200)
  const doc = res.json()
  t.equal(doc.openapi, '3.1.0')
  t.equal((await app.inject('/docs/yaml')).statusCode, 200)

  // swagger-parser mutates what it validates: give it a copy.
  const validated = await SwaggerParser.validate(structuredClone(doc))
  t.ok(validated, 'swagger-parser validates the document')

  // Every route but HEAD, OPTIONS (CORS preflight) and the UI's own files is documented…
  const documented = new Set<string>()
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(item).filter((m) => METHODS.includes(m))) {
      // `/computations` and `/computations/` are one route (Fastify's `prefixTrailingSlash: 'both'`).
      documented.add(`${method} ${path.replace(/\{(\w+)\}/g, ':$1').replace(/(.)\/$/, '$1')}`)
    }
  }
  const expected = routes
    .filter((r) => METHODS.includes(r.method) && !r.hide)
    .map((r) => `${r.method} ${r.url.replace(/(.)\/$/, '$1')}`)
  t.ok(expected.length >= 9, `${expected.length} routes`)
  for (const route of expected) t.ok(documented.has(route), `documented: ${route}`)
  for (const route of [
    'get /health',
    'get /health/detailed',
    'post /api/v1/auth/token',
    'get /api/v1/computations',
    'post /api/v1/computations',
    'get /api/v1/computations/:id',
    'put /api/v1/computations/:id',
    'delete /api/v1/computations/:id',
    'get /api/v1/computations/:id/events',
    'get /api/v1/cache',
    'get /api/v1/cache/stats',
    'post /api/v1/cache/invalidate',
    'get /api/v1/cache/:key',
    'delete /api/v1/cache/:key',
  ]) {
    t.ok(documented.has(route), `the API has ${route}`)
  }

  // …tagged, described, with declared responses, and secured unless public.
  const tags = new Set((doc.tags as Array<{ name: string }>).map((tag) => tag.name))
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, op] of Object.entries(item).filter(([m]) => METHODS.includes(m))) {
      const where = `${method.toUpperCase()} ${path}`
      t.ok(op.tags && op.tags.length > 0, `${where} is tagged`)
      for (const tag of op.tags ?? [])
        t.ok(tags.has(tag), `${where}: tag ${tag} is declared with a description`)
      t.ok(op.summary || op.description, `${where} is described`)
      t.ok(op.responses && Object.keys(op.responses).length > 0, `${where} declares its responses`)
      const open = path.startsWith('/health')
      if (open) t.same(op.security, [], `${where} is public`)
      else t.not(op.security?.length === 0, true, `${where} is not marked public`)
    }
  }
  t.same(Object.keys(doc.components.securitySchemes).sort(), ['apiKeyAuth', 'bearerAuth'])
  t.same(doc.security, [{ bearerAuth: [] }, { apiKeyAuth: [] }])
})

t.test('without auth, no security is declared', async (t) => {
  const app = await build(t, { AUTH_ENABLED: 'false' })
  const doc = (await app.inject('/docs/json')).json()
  t.equal(doc.security, undefined)
  t.same(doc.components.securitySchemes ?? {}, {})
  await SwaggerParser.validate(structuredClone(doc))
})
