import { createHash } from 'node:crypto'
import { generateApiKey } from '@comp-manager/fastify-auth'
import { DEFAULT_MAX_RESULT_BYTES } from '@comp-manager/fastify-worker'
import t from 'tap'
import { swaggerUiCsp, swaggerUiStyleHashes } from '../src/docs-csp.js'
import { bearer, build } from './fixtures/helpers.js'

const METHODS = ['get', 'post', 'put', 'delete', 'patch']
const ERROR_BODY = ['code', 'details', 'error', 'message', 'requestId', 'statusCode']

interface Parameter {
  name: string
  in: string
  description?: string
  example?: unknown
  schema?: { examples?: unknown[]; example?: unknown }
}
interface Operation {
  operationId?: string
  parameters?: Parameter[]
  requestBody?: { description?: string; content: Record<string, { example?: unknown; examples?: unknown }> }
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>
}
type Doc = { paths: Record<string, Record<string, Operation>>; servers?: Array<{ url: string }> }

function operations(doc: Doc): Array<[where: string, path: string, op: Operation]> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]): [string, string, Operation] => [`${method.toUpperCase()} ${path}`, path, op]),
  )
}

async function documentOf(env: Record<string, string>): Promise<Doc> {
  const app = await build(t, env)
  return (await app.inject('/docs/json')).json() as Doc
}

t.test('one operationId per operation, no trailing slash, a relative server', async (t) => {
  const { hash } = generateApiKey('svc')
  const doc = await documentOf({ API_KEYS: `svc:viewer:*:${hash}` })
  t.same(doc.servers, [{ url: '/', description: 'The server that serves this document' }])
  const ids = new Set<string>()
  for (const [where, path, op] of operations(doc)) {
    t.match(op.operationId, /^[a-z][A-Za-z]+$/, `${where} has an operationId`)
    t.notOk(ids.has(op.operationId!), `${where}: ${op.operationId} is unique`)
    ids.add(op.operationId!)
    t.ok(path === '/' || !path.endsWith('/'), `${where}: no trailing slash`)
    for (const [status, response] of Object.entries(op.responses)) {
      t.not(response.description, 'Default Response', `${where} ${status} is described`)
    }
  }
  t.ok(ids.has('createToken'), 'POST /auth/token is documented when it is served')
  t.ok(ids.has('listComputations') && ids.has('invalidateCache'))
})

t.test('error responses: the shared body, 429 wherever the rate limit applies', async (t) => {
  const doc = await documentOf({})
  for (const [where, path, op] of operations(doc)) {
    const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400)
    for (const [status, response] of errors) {
      if (where === 'GET /health/detailed' && status === '503') continue // the report itself
      const schema = response.content?.['application/json']?.schema as { properties?: object }
      t.same(Object.keys(schema?.properties ?? {}).sort(), ERROR_BODY, `${where} ${status}: the error body`)
    }
    if (path === '/health') t.notOk(op.responses['429'], 'liveness is not rate limited')
    else t.ok(op.responses['429'], `${where} declares 429`)
    if (path.startsWith('/api/')) {
      t.ok(op.responses['401'] && op.responses['403'], `${where} declares 401 and 403`)
    }
  }
})

/** The routes that carry a result take it whole: their body limit is the result's, not BODY_LIMIT. */
const RESULT_ROUTES = new Set(['heartbeatJob', 'completeJob', 'releaseJob'])

t.test('every operation with a body declares 413, and a too large body really is 413', async (t) => {
  const { hash } = generateApiKey('svc')
  const app = await build(t, { API_KEYS: `svc:viewer:*:${hash}` })
  const doc = (await app.inject('/docs/json')).json() as Doc
  const withBody = operations(doc).filter(([, , op]) => op.requestBody !== undefined)
  t.ok(withBody.length >= 10, `${withBody.length} operations take a body`)
  // 2 MB: over BODY_LIMIT (1 MiB) and the 64 KiB of the small-body routes; the result routes take more.
  const twoMegabytes = JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) })
  const overResult = JSON.stringify({ pad: 'x'.repeat(DEFAULT_MAX_RESULT_BYTES + 65 * 1024) })
  const headers = { ...bearer(app, 'admin'), 'content-type': 'application/json' }
  for (const [where, path, op] of withBody) {
    const schema = op.responses['413']?.content?.['application/json']?.schema as { properties?: object }
    t.same(Object.keys(schema?.properties ?? {}).sort(), ERROR_BODY, `${where} declares 413, the error body`)
    const res = await app.inject({
      method: where.split(' ')[0] as 'POST',
      url: path.replace(/\{\w+\}/g, 'x'),
      headers,
      payload: RESULT_ROUTES.has(op.operationId!) ? overResult : twoMegabytes,
    })
    t.equal(res.statusCode, 413, `${where}: a too large body is 413`)
    t.equal(res.json().code, 'CM_ERR_MAX_BYTES', `${where}: CM_ERR_MAX_BYTES`)
  }
})

t.test('every body and parameter has a description and an example', async (t) => {
  const doc = await documentOf({})
  for (const [where, , op] of operations(doc)) {
    for (const parameter of op.parameters ?? []) {
      const what = `${where} ${parameter.in} ${parameter.name}`
      t.ok(parameter.description, `${what} is described`)
      const example = parameter.example ?? parameter.schema?.examples?.[0] ?? parameter.schema?.example
      t.not(example, undefined, `${what} has an example`)
    }
    if (op.requestBody !== undefined) {
      t.ok(op.requestBody.description, `${where} body is described`)
      const media = op.requestBody.content['application/json']
      t.ok(media?.example ?? media?.examples, `${where} body has an example`)
    }
  }
})

t.test('only routes actually served are described', async (t) => {
  const app = await build(t) // no API_KEYS: no POST /auth/token
  const doc = (await app.inject('/docs/json')).json() as Doc
  t.notOk(doc.paths['/api/v1/auth/token'], 'no token route in the document')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/token' })).statusCode, 404)
  for (const [where, path] of operations(doc)) {
    const url = path.replace(/\{\w+\}/g, 'x')
    const method = where.split(' ')[0] as 'GET'
    const res = await app.inject({ method, url })
    t.not(res.json().code, 'CM_ERR_ROUTE_NOT_FOUND', `${where} is served`)
  }
})

t.test("Swagger UI's CSP allows its own <style> by hash, nothing inline else", async (t) => {
  const app = await build(t)
  const csp = String((await app.inject('/docs')).headers['content-security-policy'])
  t.notMatch(csp, /'unsafe-inline'|'unsafe-eval'/)
  t.match(csp, /script-src 'self';/)
  t.match(csp, /script-src-attr 'none'/)
  // The logo of the standalone preset is an SVG with a <style> element: its hash must be allowed.
  const preset = (await app.inject('/docs/static/swagger-ui-standalone-preset.js')).body
  const literals = [...preset.matchAll(/createElement\("style",null,"((?:[^"\\]|\\.)*)"\)/g)]
  t.ok(literals.length >= 1, 'the preset creates a <style> element')
  for (const [, literal] of literals) {
    const css = JSON.parse(`"${literal}"`) as string
    const source = `'sha256-${createHash('sha256').update(css).digest('base64')}'`
    t.ok(csp.includes(source), `style-src allows ${css.slice(0, 30)}…`)
  }
  t.equal(csp, swaggerUiCsp({ production: false, styleHashes: swaggerUiStyleHashes() }))
  t.match(swaggerUiCsp({ production: true, styleHashes: [] }), /upgrade-insecure-requests$/)
  t.equal(
    (await app.inject('/docs/static/swagger-ui.css')).headers['content-security-policy'],
    csp,
    'the same policy on the UI assets',
  )
})
