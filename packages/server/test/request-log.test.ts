// Production request logs (issue 12): one line per request, flat fields, Fastify's
// `disableRequestLogging` honoured (boolean and function), credentials never in the line.
import { Writable } from 'node:stream'
import { MemoryStore } from '@comp-manager/core'
import t, { type Test } from 'tap'
import { type BuildAppOptions, buildApp } from '../src/index.js'
import { bearer, testConfig } from './fixtures/helpers.js'

async function logged(t: Test, level: string, fastify: BuildAppOptions['fastify'] = {}) {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      cb()
    },
  })
  const app = await buildApp(testConfig(), { store: new MemoryStore(), logger: { level, stream }, fastify })
  t.teardown(() => app.close())
  lines.length = 0
  return { app, lines, requests: () => lines.filter((l) => /^request|^incoming/.test(String(l.msg))) }
}

t.test('one line per request, at info, with flat fields and the request id', async (t) => {
  const { app, requests } = await logged(t, 'info')
  const headers = bearer(app)
  const ok = await app.inject({ url: '/api/v1/computations?per_page=5', headers })
  const missing = await app.inject({ url: '/api/v1/computations/nope', headers })
  await app.inject({ url: '/health' })
  t.equal(ok.statusCode, 200)
  const lines = requests()
  t.equal(lines.length, 3, 'three requests, three lines')
  t.same(
    lines.map((l) => [l.msg, l.method, l.url, l.statusCode]),
    [
      ['request completed', 'GET', '/api/v1/computations?per_page=5', 200],
      ['request completed', 'GET', '/api/v1/computations/nope', missing.statusCode],
      ['request completed', 'GET', '/health', 200],
    ],
  )
  t.equal(lines[0]!.requestId, ok.headers['x-request-id'], 'the request id, as requestId')
  t.equal(lines[0]!.level, 30, 'info')
  t.type(lines[0]!.responseTime, 'number')
  t.notOk(JSON.stringify(lines).includes(headers.authorization.slice(7)), 'no credential in the lines')
})

t.test('at debug, incoming requests too', async (t) => {
  const { app, requests } = await logged(t, 'debug')
  await app.inject({ url: '/health' })
  t.same(
    requests().map((l) => [l.msg, l.level]),
    [
      ['incoming request', 20],
      ['request completed', 30],
    ],
  )
})

t.test('disableRequestLogging: true → no request lines; other logs still written', async (t) => {
  const { app, lines, requests } = await logged(t, 'info', { disableRequestLogging: true })
  await app.inject({ url: '/health' })
  await app.inject({ url: '/api/v1/computations', headers: bearer(app) })
  t.equal(requests().length, 0)
  app.log.info('still logging')
  t.ok(lines.some((l) => l.msg === 'still logging'))
})

t.test('disableRequestLogging as a function: per request', async (t) => {
  const { app, requests } = await logged(t, 'info', {
    disableRequestLogging: (request) => request.url === '/health',
  })
  await app.inject({ url: '/health' })
  await app.inject({ url: '/api/v1/computations', headers: bearer(app) })
  t.same(
    requests().map((l) => l.url),
    ['/api/v1/computations'],
  )
})
