// The client against the real comp-manager server, listening on a loopback port (fixtures/server.ts).
import { createMathCodec } from '@comp-manager/codec-math'
import { encode } from '@comp-manager/core/codec'
import { math } from '@comp-manager/example-server'
import t from 'tap'
import {
  AbortError,
  ApiError,
  type Computation,
  type ComputationEvent,
  createClient,
  isApiError,
  type RetryInfo,
  TimeoutError,
} from '../src/index.js'
import { startApi, startProxy } from './fixtures/server.js'

const fast = { retryDelayMs: 5, maxRetryDelayMs: 2_000 }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('health and healthDetailed', async (t) => {
  const api = await startApi(t)
  const client = createClient({ baseUrl: api.url })
  t.same(await client.health(), { status: 'ok' })
  const report = await client.healthDetailed()
  t.equal(report.status, 'ok')
  t.ok(report.checks.store?.ok, 'the store check is reported')
  t.type(report.uptimeSeconds, 'number')
})

t.test('computations: create, get, list, update, delete', async (t) => {
  const api = await startApi(t)
  const client = createClient({ baseUrl: api.url, token: api.tokens.admin })
  const created = await client.computations.create({ function: 'factor', args: encode([91n]) as unknown[] })
  t.equal(created.status, 'queued')
  t.equal(created.function, 'factor')
  t.same(created.args, [{ __type__: 'bigint', value: '91' }], 'args stay encoded by default')

  const got = await client.computations.get(created.id)
  t.equal(got.id, created.id)
  t.equal(got.hash, created.hash)

  const started = await client.computations.update(created.id, { status: 'started', message: 'warming up' })
  t.equal(started.status, 'started')
  t.equal(started.message, 'warming up')
  const progressed = await client.computations.update(created.id, {
    progress: { fraction: 0.5, note: 'half' },
  })
  t.same(progressed.progress, { fraction: 0.5, note: 'half' })

  const page = await client.computations.list({ status: 'started' })
  t.equal(page.total, 1)
  t.equal(page.data[0]?.id, created.id)
  t.same((await client.computations.list({ status: 'failed' })).data, [])

  await client.computations.delete(created.id)
  const err = await client.computations.get(created.id).catch((e: unknown) => e)
  t.ok(isApiError(err, 'CM_ERR_NOT_FOUND'), 'deleted')
})

t.test('typed errors: code, status, message, request id, details', async (t) => {
  const api = await startApi(t)
  const admin = createClient({ baseUrl: api.url, token: api.tokens.admin })

  const missing = await admin.computations.get('no-such-id').catch((e: unknown) => e)
  t.ok(missing instanceof ApiError)
  if (!isApiError(missing, 'CM_ERR_NOT_FOUND')) throw missing
  t.equal(missing.status, 404)
  t.match(missing.message, /not found/)
  t.match(missing.requestId, /\S+/, 'the request id of the server')

  const { id } = await admin.computations.create({ function: 'f' })
  const transition = await admin.computations.update(id, { status: 'finished' }).catch((e: unknown) => e)
  if (!isApiError(transition)) throw transition
  t.equal(transition.status, 409)
  if (transition.code === 'CM_ERR_INVALID_TRANSITION') {
    // Narrowed by the code: details is { from, to, allowed }.
    t.equal(transition.details.from, 'queued')
    t.equal(transition.details.to, 'finished')
    t.ok(transition.details.allowed.includes('started'))
  } else t.fail(`expected CM_ERR_INVALID_TRANSITION, got ${transition.code}`)

  const invalid = await admin.computations.list({ per_page: 101 }).catch((e: unknown) => e)
  if (!isApiError(invalid, 'CM_ERR_VALIDATION')) throw invalid
  t.equal(invalid.status, 400)
  t.ok(invalid.details.issues.length > 0, 'validation issues are listed')

  const anonymous = createClient({ baseUrl: api.url })
  const unauthorized = await anonymous.computations.list().catch((e: unknown) => e)
  t.ok(isApiError(unauthorized, 'CM_ERR_UNAUTHORIZED'))
  t.equal((unauthorized as ApiError).status, 401)
  t.ok((unauthorized as ApiError).requestId)

  const viewer = createClient({ baseUrl: api.url, token: api.tokens.viewer })
  const forbidden = await viewer.computations.create({ function: 'f' }).catch((e: unknown) => e)
  t.ok(isApiError(forbidden, 'CM_ERR_FORBIDDEN'))
  t.equal((forbidden as ApiError).status, 403)

  const traced = await anonymous.health({ requestId: 'trace-abc-123' })
  t.same(traced, { status: 'ok' })
  const tracedErr = await anonymous.computations
    .get('x', { requestId: 'trace-abc-124' })
    .catch((e: unknown) => e)
  t.equal((tracedErr as ApiError).requestId, 'trace-abc-124', 'the server honours x-request-id')
})

t.test('an API key works as credentials', async (t) => {
  const api = await startApi(t)
  const client = createClient({ baseUrl: api.url, apiKey: api.apiKey })
  const created = await client.computations.create({ function: 'from-a-service' })
  t.equal(created.owner, 'api-key:svc', 'the key identifies the caller')
  const wrong = createClient({ baseUrl: api.url, apiKey: `${api.apiKey.slice(0, -4)}AAAA` })
  const err = await wrong.computations.list().catch((e: unknown) => e)
  t.ok(isApiError(err, 'CM_ERR_UNAUTHORIZED'))
})

t.test('retry on 503 then success (a proxy in front of the server fails twice)', async (t) => {
  const api = await startApi(t)
  const proxy = await startProxy(t, api.url)
  const retries: RetryInfo[] = []
  const client = createClient({
    baseUrl: proxy.url,
    token: api.tokens.admin,
    ...fast,
    onRetry: (info) => retries.push(info),
  })
  const { id } = await client.computations.create({ function: 'f' })
  const key = `GET /api/v1/computations/${id}`
  proxy.failNext(key, 2)
  const got = await client.computations.get(id)
  t.equal(got.id, id)
  t.equal(proxy.hits.get(key), 3)
  t.equal(proxy.forwarded.get(key), 1, 'the server saw the one request that succeeded')
  t.same(
    retries.map((r) => r.reason),
    [503, 503],
  )

  proxy.failNext(key, 1, '1')
  const started = Date.now()
  await client.computations.get(id)
  t.ok(Date.now() - started >= 900, 'retry-after: 1 was honoured')
})

t.test('no retry on POST', async (t) => {
  const api = await startApi(t)
  const proxy = await startProxy(t, api.url)
  const client = createClient({ baseUrl: proxy.url, token: api.tokens.admin, ...fast, retries: 5 })
  proxy.failNext('POST /api/v1/computations', 1)
  const err = await client.computations.create({ function: 'f' }).catch((e: unknown) => e)
  t.ok(isApiError(err, 'CM_ERR_STORE_UNAVAILABLE'))
  t.equal(proxy.hits.get('POST /api/v1/computations'), 1)
  t.equal(proxy.forwarded.get('POST /api/v1/computations'), undefined)
  t.equal((await client.computations.list()).total, 0, 'nothing was created')

  proxy.failNext('POST /api/v1/cache/invalidate', 1)
  const err2 = await client.cache.invalidate({ all: true }).catch((e: unknown) => e)
  t.equal((err2 as ApiError).status, 503)
  t.equal(proxy.hits.get('POST /api/v1/cache/invalidate'), 1)
})

t.test('abort and timeout while the server is slow to answer', async (t) => {
  const api = await startApi(t)
  const proxy = await startProxy(t, api.url)
  const client = createClient({ baseUrl: proxy.url, token: api.tokens.admin })
  proxy.delayNext('GET /api/v1/cache/stats', 2, 2_000)

  const controller = new AbortController()
  setTimeout(() => controller.abort(), 50)
  const aborted = await client.cache.stats({ signal: controller.signal }).catch((e: unknown) => e)
  t.ok(aborted instanceof AbortError, String(aborted))

  const timedOut = await client.cache.stats({ timeoutMs: 100 }).catch((e: unknown) => e)
  t.ok(timedOut instanceof TimeoutError, String(timedOut))
  t.notOk(timedOut instanceof AbortError, 'distinct classes')
})

t.test('pagination: all() walks 3 pages', async (t) => {
  const api = await startApi(t)
  const lists: string[] = []
  const client = createClient({
    baseUrl: api.url,
    token: api.tokens.admin,
    fetch: (request) => {
      if (request.method === 'GET') lists.push(new URL(request.url).search)
      return fetch(request)
    },
  })
  const ids = []
  for (let i = 0; i < 5; i++)
    ids.push((await client.computations.create({ function: 'paged', args: [i] })).id)
  lists.length = 0
  const seen: string[] = []
  for await (const c of client.computations.all({ function: 'paged', per_page: 2 })) seen.push(c.id)
  t.same(seen.toSorted(), ids.toSorted(), 'every record once')
  t.equal(lists.length, 3, 'three pages were fetched')
  t.match(lists, [/per_page=2/, /cursor=/, /cursor=/], 'the first page, then the next_cursor of each')

  // An early break stops the fetching.
  lists.length = 0
  for await (const _ of client.computations.all({ per_page: 2 })) break
  t.equal(lists.length, 1)
})

t.test('watch() receives the status, the progress and the end', async (t) => {
  const api = await startApi(t)
  const client = createClient({ baseUrl: api.url, token: api.tokens.operator })
  const { id } = await client.computations.create({ function: 'long', status: 'started' })
  const events: ComputationEvent[] = []
  let driven: Promise<void> | undefined
  for await (const event of client.computations.watch(id, { decode: true })) {
    events.push(event)
    if (events.length === 1) {
      // The first event is the current state; drive the run from here.
      driven = (async () => {
        await client.computations.update(id, { progress: { fraction: 0.25, note: 'a quarter' } })
        await sleep(350)
        await client.computations.update(id, { progress: { fraction: 0.75 } })
        await sleep(350)
        await client.computations.update(id, { status: 'finished' })
      })()
    }
  }
  await driven
  t.equal(events[0]?.type, 'status')
  t.equal(events.at(-1)?.type, 'end', 'ends with `end`')
  const progress = events
    .filter((e) => e.type === 'progress')
    .map((e) => (e.data as Computation).progress?.fraction)
  t.same(progress, [0.25, 0.75], 'both progress steps')
  const end = events.at(-1)!
  t.equal(end.type === 'end' ? end.data?.status : undefined, 'finished')
  t.same(
    events.map((e) => e.id),
    events.map((_, i) => String(i + 1)),
    'ids in order',
  )

  // A finished run: the current state, then `end` at once.
  const again: string[] = []
  for await (const e of client.computations.watch(id)) again.push(e.type)
  t.same(again, ['status', 'end'])

  // events(): the raw stream, same events.
  const raw: string[] = []
  for await (const e of client.computations.events(id)) raw.push(e.type)
  t.same(raw, ['status', 'end'])

  const missing = await (async () => {
    try {
      for await (const _ of client.computations.watch('no-such-id')) {
        // nothing
      }
    } catch (err) {
      return err
    }
  })()
  t.ok(isApiError(missing, 'CM_ERR_NOT_FOUND'), 'watching an unknown id is a 404')
})

t.test('decode: tagged values come back as BigInt, Date and Map', async (t) => {
  const api = await startApi(t)
  const client = createClient({ baseUrl: api.url, token: api.tokens.admin })
  const when = new Date('2026-01-02T03:04:05.678Z')
  const args = [2n ** 67n - 1n, when, new Map<string, unknown>([['k', 1n]])]
  const { id } = await client.computations.create({ function: 'decoded', args: encode(args) as unknown[] })

  const plain = await client.computations.get(id)
  t.same(plain.args, encode(args), 'encoded without decode')
  const decoded = await client.computations.get(id, { decode: true })
  t.same(decoded.args, args)
  const [big, date, map] = decoded.args as [bigint, Date, Map<string, bigint>]
  t.equal(typeof big, 'bigint')
  t.ok(date instanceof Date)
  t.equal(date.getTime(), when.getTime())
  t.ok(map instanceof Map)
  t.equal(map.get('k'), 1n)

  const clientWide = createClient({ baseUrl: api.url, token: api.tokens.admin, decode: true })
  const listed = await clientWide.computations.list({ function: 'decoded', include: 'args' })
  t.equal(typeof (listed.data[0]!.args as unknown[])[0], 'bigint', 'client-wide decode applies to lists')
  t.same((await clientWide.computations.get(id, { decode: false })).args, encode(args), 'per call override')

  // A cache entry filled by the server's own cache: value and args are tagged JSON.
  const cache = (api.app as unknown as { cache: CacheLike }).cache
  const square = cache.wrap(
    'square',
    async (n: bigint) =>
      new Map<string, unknown>([
        ['n', n * n],
        ['at', when],
      ]),
    {
      storeArgs: true,
      tags: ['demo'],
    },
  )
  await square(12345678901234567890n)
  const [meta] = (await client.cache.list({ function: 'square' })).data
  t.ok(meta, 'the entry is listed')
  const entry = await client.cache.get(meta!.key, { decode: true })
  t.same(entry.args, [12345678901234567890n])
  t.ok(entry.value instanceof Map)
  t.equal((entry.value as Map<string, unknown>).get('n'), 12345678901234567890n ** 2n)
  t.ok((entry.value as Map<string, unknown>).get('at') instanceof Date)
  const raw = await client.cache.get(meta!.key)
  t.match(raw.value, { __type__: 'Map' }, 'encoded without decode')
})

t.test('decode with a codec that knows mathjs: the demo matrix comes back as exact Fractions', async (t) => {
  const api = await startApi(t)
  const res = await fetch(`${api.url}/api/v1/demo/matrix`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.tokens.operator}`, 'content-type': 'application/json' },
    body: JSON.stringify({ size: 3 }),
  })
  t.equal(res.status, 200, 'the example server computed and cached the inverse')
  const client = createClient({
    baseUrl: api.url,
    token: api.tokens.viewer,
    codec: createMathCodec(math),
    decode: true,
  })
  const [meta] = (await client.cache.list({ function: 'hilbert' })).data
  const entry = await client.cache.get(meta!.key)
  const value = entry.value as { inverse: { get(i: number[]): Fraction }; determinant: Fraction }
  t.ok(math.isMatrix(value.inverse), 'a mathjs Matrix')
  t.ok(math.isFraction(value.determinant), 'an exact Fraction')
  t.equal(value.determinant.toFraction(), '1/2160')
  t.equal(value.inverse.get([0, 0]).toFraction(), '9')
  t.equal(value.inverse.get([1, 1]).toFraction(), '192')
})

interface Fraction {
  toFraction(): string
}

interface CacheLike {
  wrap<A extends unknown[], R>(
    name: string,
    fn: (...args: A) => Promise<R>,
    options?: object,
  ): (...args: A) => Promise<R>
}

t.test('cache: list, all, get, stats, invalidate, delete', async (t) => {
  const api = await startApi(t)
  const client = createClient({ baseUrl: api.url, token: api.tokens.admin })
  const cache = (api.app as unknown as { cache: CacheLike }).cache
  const double = cache.wrap('double', async (n: number) => n * 2, { tags: ['math'], version: '1' })
  const triple = cache.wrap('triple', async (n: number) => n * 3, { tags: ['math', 'odd'] })
  for (let i = 0; i < 3; i++) await double(i)
  await triple(1)
  await double(1) // a hit

  const page = await client.cache.list({ per_page: 2 })
  t.equal(page.total, 4)
  t.equal(page.pages, 2)
  const keys: string[] = []
  for await (const e of client.cache.all({ per_page: 2 })) keys.push(e.key)
  t.equal(keys.length, 4)

  const stats = await client.cache.stats()
  t.equal(stats.entries, 4)
  t.ok(stats.bytes > 0)
  t.equal(stats.hits, 1)

  const tripleKey = (await client.cache.list({ function: 'triple' })).data[0]!.key
  const entry = await client.cache.get(tripleKey)
  t.equal(entry.value, 3)
  t.same(entry.tags, ['math', 'odd'])

  await client.cache.delete(tripleKey)
  const gone = await client.cache.get(tripleKey).catch((e: unknown) => e)
  t.ok(isApiError(gone, 'CM_ERR_NOT_FOUND'))

  const invalidated = await client.cache.invalidate({ function: 'double', version: '1' })
  t.equal(invalidated.deleted, 3)
  t.equal(invalidated.namespace, 'default')
  t.equal((await client.cache.list()).total, 0)
})

t.test('the raw client reaches any route of the document with the same transport', async (t) => {
  const api = await startApi(t)
  const client = createClient({ baseUrl: api.url, token: api.tokens.viewer })
  const { data, error, response } = await client.raw.GET('/api/v1/computations', {
    params: { query: { per_page: 1 } },
  })
  t.equal(response.status, 200)
  t.equal(error, undefined)
  t.equal(data?.per_page, 1)
})
