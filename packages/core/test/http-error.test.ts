import t from 'tap'
import { toHttpError } from '../src/errors/http.js'
import { cmError } from '../src/errors/index.js'

const opts = { requestId: 'req-1' }

t.test('comp-manager errors keep their code, status and details', async (t) => {
  const { statusCode, body } = toHttpError(
    cmError('CM_ERR_INVALID_TRANSITION', 'nope', { details: { from: 'finished', to: 'started' } }),
    opts,
  )
  t.equal(statusCode, 409)
  t.same(body, {
    statusCode: 409,
    code: 'CM_ERR_INVALID_TRANSITION',
    error: 'Conflict',
    message: 'nope',
    requestId: 'req-1',
    details: { from: 'finished', to: 'started' },
  })
})

t.test('Fastify validation errors become CM_ERR_VALIDATION with issues', async (t) => {
  const err = Object.assign(new Error('querystring/per_page must be <= 100'), {
    statusCode: 400,
    code: 'FST_ERR_VALIDATION',
    validation: [{ instancePath: '/per_page', message: 'must be <= 100', params: { limit: 100 } }],
    validationContext: 'querystring',
  })
  const { statusCode, body } = toHttpError(err, opts)
  t.equal(statusCode, 400)
  t.equal(body.code, 'CM_ERR_VALIDATION')
  t.same(body.details, {
    in: 'querystring',
    issues: [{ path: 'querystring/per_page', message: 'must be <= 100', params: { limit: 100 } }],
  })
})

t.test('errors carrying a catalogued code (e.g. @fastify/error classes) keep it', async (t) => {
  const err = Object.assign(new Error('token expired'), { statusCode: 401, code: 'CM_ERR_UNAUTHORIZED' })
  const { statusCode, body } = toHttpError(err, opts)
  t.equal(statusCode, 401)
  t.equal(body.code, 'CM_ERR_UNAUTHORIZED')
  t.equal(body.error, 'Unauthorized')
})

t.test('bare HTTP statuses map to codes; invalid JSON bodies are CM_ERR_MALFORMED', async (t) => {
  t.equal(
    toHttpError(Object.assign(new Error('x'), { statusCode: 429 }), opts).body.code,
    'CM_ERR_RATE_LIMITED',
  )
  t.equal(
    toHttpError(Object.assign(new Error('x'), { statusCode: 404 }), opts).body.code,
    'CM_ERR_ROUTE_NOT_FOUND',
  )
  t.equal(
    toHttpError(Object.assign(new Error('x'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }), opts)
      .body.code,
    'CM_ERR_MAX_BYTES',
  )
  const json = toHttpError(
    Object.assign(new Error('Unexpected token'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }),
    opts,
  )
  t.equal(json.body.code, 'CM_ERR_MALFORMED')
})

t.test('unexpected errors hide their internals unless in development', async (t) => {
  const secret = new Error('connection string mongodb://user:pw@host failed')
  const prod = toHttpError(secret, opts)
  t.equal(prod.statusCode, 500)
  t.equal(prod.body.code, 'CM_ERR_INTERNAL')
  t.equal(prod.body.message, 'Internal server error')
  t.notOk(JSON.stringify(prod.body).includes('pw@host'))
  const dev = toHttpError(secret, { ...opts, development: true })
  t.match(dev.body.details, { cause: /pw@host/, stack: /Error/ })
})

t.test('non-error throws and invalid statuses are handled', async (t) => {
  t.equal(toHttpError('boom', opts).statusCode, 500)
  t.equal(toHttpError({ statusCode: 99 }, opts).statusCode, 500)
  t.equal(toHttpError(null, opts).body.code, 'CM_ERR_INTERNAL')
})
