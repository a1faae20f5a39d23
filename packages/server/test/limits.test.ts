// The budgets as server options (issue 13): BODY_LIMIT, CODEC_* and SSE_* read and validated by
// loadConfig, and applied by buildApp (a variable set → the limit in force over HTTP).
import { defaultCodec } from '@comp-manager/core'
import t, { type Test } from 'tap'
import { ConfigError, loadConfig } from '../src/index.js'
import { bearer, build, SECRET } from './fixtures/helpers.js'

const base = { NODE_ENV: 'test', JWT_SECRET: SECRET }

function problems(t: Test, env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env })
  } catch (err) {
    t.type(err, ConfigError)
    return (err as ConfigError).problems.map((p) => `${p.variable}: ${p.message}`)
  }
  t.fail(`loadConfig accepted ${JSON.stringify(env)}`)
  return []
}

const bigint = (digits: number) => ({ __type__: 'bigint', value: '9'.repeat(digits) })
const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)])

t.test('defaults: the codec and stream budgets of the plugins', async (t) => {
  const { limits } = loadConfig(base)
  t.same(limits, {
    bodyLimit: 1024 * 1024,
    codec: { ...defaultCodec.budget, maxDepth: defaultCodec.maxDepth },
    sse: { maxStreams: 1000, maxStreamsPerClient: 8, idleTimeoutMs: 1_800_000, stallTimeoutMs: 60_000 },
  })
})

t.test('every limit is read from its variable (durations in any unit)', async (t) => {
  const { limits } = loadConfig({
    ...base,
    BODY_LIMIT: '65536',
    CODEC_MAX_BIGINT_DIGITS: '500',
    CODEC_MAX_STRING_LENGTH: '1000',
    CODEC_MAX_BINARY_BYTES: '2000',
    CODEC_MAX_ENTRIES: '3000',
    CODEC_MAX_NODES: '4000',
    CODEC_MAX_DEPTH: '16',
    SSE_MAX_STREAMS: '50',
    SSE_MAX_STREAMS_PER_CLIENT: '2',
    SSE_IDLE_TIMEOUT: '5m',
    SSE_STALL_TIMEOUT: '1500',
  })
  t.same(limits, {
    bodyLimit: 65536,
    codec: {
      maxBigIntDigits: 500,
      maxStringLength: 1000,
      maxBinaryBytes: 2000,
      maxEntries: 3000,
      maxNodes: 4000,
      maxDepth: 16,
    },
    sse: { maxStreams: 50, maxStreamsPerClient: 2, idleTimeoutMs: 300_000, stallTimeoutMs: 1500 },
  })
})

t.test('bad values are configuration errors naming each variable', async (t) => {
  const found = problems(t, {
    BODY_LIMIT: '10',
    CODEC_MAX_BIGINT_DIGITS: '0',
    CODEC_MAX_NODES: '-5',
    CODEC_MAX_DEPTH: 'deep',
    SSE_MAX_STREAMS_PER_CLIENT: '1.5',
    SSE_IDLE_TIMEOUT: 'forever',
    SSE_STALL_TIMEOUT: '10ms',
  })
  t.same(
    found.map((line) => line.split(':')[0]),
    [
      'BODY_LIMIT',
      'CODEC_MAX_BIGINT_DIGITS',
      'CODEC_MAX_NODES',
      'CODEC_MAX_DEPTH',
      'SSE_MAX_STREAMS_PER_CLIENT',
      'SSE_IDLE_TIMEOUT',
      'SSE_STALL_TIMEOUT',
    ],
  )
  t.match(found[0], /BODY_LIMIT: must be an integer from 1024 to 67108864 \(got "10"\)/)
  t.match(found[5], /SSE_IDLE_TIMEOUT: must be a duration from 100ms to 1d/)
})

t.test('CODEC_MAX_BIGINT_DIGITS and CODEC_MAX_DEPTH apply to POST /computations', async (t) => {
  const app = await build(t, { CODEC_MAX_BIGINT_DIGITS: '100', CODEC_MAX_DEPTH: '8' })
  const post = (args: unknown[]) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/computations',
      headers: bearer(app, 'operator'),
      payload: { function: 'f', args },
    })
  t.equal((await post([bigint(100)])).statusCode, 201, '100 digits: accepted')
  const over = await post([bigint(101)])
  t.equal(over.statusCode, 413, '101 digits: 413')
  t.equal(over.json().code, 'CM_ERR_TOO_LARGE')
  t.match(over.json().details, { limit: 'maxBigIntDigits', max: 100 })
  t.equal((await post([nested(6)])).statusCode, 201, 'depth 7 (the list and 6 more): accepted')
  const deep = await post([nested(8)])
  t.equal(deep.statusCode, 400, 'deeper than 8: 400')
  t.equal(deep.json().code, 'CM_ERR_MAX_DEPTH')
  t.equal((await app.inject({ url: '/api/v1/computations', headers: bearer(app) })).json().data.length, 2)
})

t.test('CODEC_MAX_NODES applies; defaults keep the default codec (a 101-digit BigInt is fine)', async (t) => {
  const app = await build(t, { CODEC_MAX_NODES: '50' })
  const post = (args: unknown[]) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/computations',
      headers: bearer(app, 'operator'),
      payload: { function: 'f', args },
    })
  const many = await post(Array.from({ length: 60 }, (_, i) => i))
  t.equal(many.statusCode, 400)
  t.equal(many.json().code, 'CM_ERR_TOO_COMPLEX')
  t.equal((await post([bigint(101)])).statusCode, 201)
})

t.test('BODY_LIMIT: a larger body is 413 CM_ERR_MAX_BYTES in the standard error body', async (t) => {
  const app = await build(t, { BODY_LIMIT: '2048' })
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/computations',
    headers: bearer(app, 'operator'),
    payload: { function: 'f', args: ['x'.repeat(3000)] },
  })
  t.equal(res.statusCode, 413)
  t.match(res.json(), { code: 'CM_ERR_MAX_BYTES', requestId: String })
})

t.test('SSE_MAX_STREAMS_PER_CLIENT: the second stream of a client is 429', async (t) => {
  const app = await build(t, { SSE_MAX_STREAMS_PER_CLIENT: '1' })
  const headers = bearer(app, 'operator')
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/computations',
    headers,
    payload: { function: 'f', args: [], status: 'started' },
  })
  const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/api/v1/computations/${created.json().id}/events`
  const first = new AbortController()
  t.teardown(() => first.abort())
  const open = await fetch(url, { headers, signal: first.signal })
  t.equal(open.status, 200, 'the first stream is served')
  const second = await fetch(url, { headers })
  t.equal(second.status, 429, 'the second is refused')
  t.match(await second.json(), { code: 'CM_ERR_RATE_LIMITED', details: { limit: 'maxStreamsPerClient' } })
  t.ok(second.headers.get('retry-after'), 'with retry-after')
})

t.test('routes with small bodies take 64 KiB at most; POST /computations the whole BODY_LIMIT', async (t) => {
  const app = await build(t, {})
  const headers = bearer(app, 'operator')
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/computations',
    headers,
    payload: { function: 'f', args: ['x'.repeat(500_000)] },
  })
  t.equal(created.statusCode, 201, 'a 500 kB POST /computations is accepted')
  const put = await app.inject({
    method: 'PUT',
    url: `/api/v1/computations/${created.json().id}`,
    headers,
    payload: { message: 'x'.repeat(70_000) },
  })
  t.equal(put.statusCode, 413, 'a 70 kB PUT is refused before it is parsed')
  t.equal(put.json().code, 'CM_ERR_MAX_BYTES')
  const invalidate = await app.inject({
    method: 'POST',
    url: '/api/v1/cache/invalidate',
    headers,
    payload: { function: 'y'.repeat(70_000) },
  })
  t.equal(invalidate.statusCode, 413)
})
