import { decode } from '@comp-manager/core/codec'
import t from 'tap'
import { build, expectStatus, fill, fillOther } from './fixtures/helpers.js'

t.test('GET /cache lists entries (metadata, no values), paginated and filtered', async (t) => {
  const app = await build(t)
  await fill(app.cache)

  const all = expectStatus(t, await app.inject({ url: '/cache' }), 200)
  t.match(all, { page: 1, per_page: 20, total: 4, pages: 1 })
  t.equal(all.data.length, 4)
  for (const entry of all.data) {
    t.notOk('value' in entry, 'no value in a listing')
    t.equal(entry.namespace, 'default')
    t.match(entry.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'ISO 8601 createdAt')
    t.equal(entry.expiresAt, null, 'no ttl: never expires')
    t.equal(entry.schemaVersion, 1)
  }
  const squares = all.data.filter((e: { function: string }) => e.function === 'square')
  t.equal(squares.length, 3)
  t.ok(Array.isArray(squares[0].args), 'storeArgs: the encoded argument list is listed')

  const byFunction = expectStatus(t, await app.inject({ url: '/cache?function=greet' }), 200)
  t.equal(byFunction.total, 1)
  t.equal(byFunction.data[0].function, 'greet')
  t.equal(byFunction.data[0].version, '2')
  t.same(byFunction.data[0].tags, ['text'])

  const byTag = expectStatus(t, await app.inject({ url: '/cache?tag=n:2' }), 200)
  t.equal(byTag.total, 1)
  const byVersion = expectStatus(t, await app.inject({ url: '/cache?version=1' }), 200)
  t.equal(byVersion.total, 3)
  const none = expectStatus(t, await app.inject({ url: '/cache?tag=nope' }), 200)
  t.match(none, { data: [], total: 0, pages: 0 })

  const page2 = expectStatus(t, await app.inject({ url: '/cache?per_page=3&page=2' }), 200)
  t.match(page2, { page: 2, per_page: 3, total: 4, pages: 2 })
  t.equal(page2.data.length, 1)
  const past = expectStatus(t, await app.inject({ url: '/cache?page=9' }), 200)
  t.match(past, { page: 9, data: [], total: 4 })

  const bySize = expectStatus(t, await app.inject({ url: '/cache?sort=-size' }), 200)
  const sizes = bySize.data.map((e: { size: number }) => e.size)
  t.same(
    sizes,
    [...sizes].sort((a, b) => b - a),
    'sorted by size, descending',
  )
  const ascending = expectStatus(t, await app.inject({ url: '/cache?sort=size' }), 200)
  t.same(
    ascending.data.map((e: { size: number }) => e.size),
    [...sizes].reverse(),
  )

  const explicit = expectStatus(t, await app.inject({ url: '/cache?namespace=default' }), 200)
  t.equal(explicit.total, 4)
})

t.test('GET /cache sorted by hits', async (t) => {
  const app = await build(t)
  const { square } = await fill(app.cache)
  await square(2)
  await square(2)
  await square(3)
  const body = expectStatus(t, await app.inject({ url: '/cache?sort=-hits&function=square' }), 200)
  t.same(
    body.data.map((e: { hits: number }) => e.hits),
    [2, 1, 0],
  )
  t.type(body.data[0].lastHitAt, 'string', 'lastHitAt set once hit')
})

t.test('GET /cache/:key returns the entry with its codec-encoded value', async (t) => {
  const app = await build(t)
  await fill(app.cache)
  const key = app.cache.explain('greet', ['ada']).key
  const entry = expectStatus(t, await app.inject({ url: `/cache/${key}` }), 200)
  t.match(entry, { key, namespace: 'default', function: 'greet', version: '2', tags: ['text'], hits: 0 })
  const value = decode(entry.value)
  t.ok(value instanceof Map, 'decodes to a Map')
  t.equal((value as Map<string, bigint>).get('ada'), 42n, 'with its BigInt')
  t.equal(entry.size, Buffer.byteLength(JSON.stringify(entry.value)), 'size: bytes of the stored text')

  const again = expectStatus(t, await app.inject({ url: `/cache/${key}?namespace=default` }), 200)
  t.equal(again.hits, 0, 'reading over HTTP does not count a hit')

  const squareKey = app.cache.explain('square', [3]).key
  const square = expectStatus(t, await app.inject({ url: `/cache/${squareKey}` }), 200)
  t.equal(decode(square.value), 9)
  t.same(decode(square.args), [3], 'storeArgs: the arguments')
})

t.test('GET /cache/:key with a custom key, URL-encoded', async (t) => {
  const app = await build(t)
  await app.cache.set('rates/EUR?x=1', new Map([['USD', 1.08]]), { tags: ['rates'] })
  const entry = expectStatus(
    t,
    await app.inject({ url: `/cache/${encodeURIComponent('rates/EUR?x=1')}` }),
    200,
  )
  t.equal(entry.key, 'rates/EUR?x=1')
  t.equal(entry.algorithm, 'custom')
  t.same([...(decode(entry.value) as Map<string, number>)], [['USD', 1.08]])
})

t.test('/cache/stats and /cache/invalidate are not taken for keys, even keys spelled so', async (t) => {
  const app = await build(t)
  await app.cache.set('stats', 1)
  await app.cache.set('invalidate', 2)
  const stats = expectStatus(t, await app.inject({ url: '/cache/stats' }), 200)
  t.equal(stats.entries, 2, 'GET /cache/stats is the stats route')
  const invalidate = expectStatus(
    t,
    await app.inject({ method: 'POST', url: '/cache/invalidate', payload: { function: 'cache.set' } }),
    200,
  )
  t.same(invalidate, { deleted: 2, namespace: 'default' }, 'POST /cache/invalidate is the invalidate route')
  await app.cache.set('invalidate', 3)
  const entry = expectStatus(t, await app.inject({ url: '/cache/invalidate' }), 200)
  t.equal(decode(entry.value), 3, 'GET /cache/invalidate reads the key "invalidate"')
  expectStatus(t, await app.inject({ method: 'DELETE', url: '/cache/invalidate' }), 204)
})

t.test('GET /cache/:key answers 404 for an absent, expired or other-namespace entry', async (t) => {
  const app = await build(t)
  await fill(app.cache)
  await fillOther(app, 'team-b')
  const absent = expectStatus(
    t,
    await app.inject({ url: `/cache/${'0'.repeat(64)}` }),
    404,
    'CM_ERR_NOT_FOUND',
  )
  t.same(absent.details, { key: '0'.repeat(64) })
  t.equal(absent.error, 'Not Found')

  await app.cache.set('short', 'lived', { ttl: 1 })
  await new Promise((resolve) => setTimeout(resolve, 5))
  expectStatus(t, await app.inject({ url: '/cache/short' }), 404, 'CM_ERR_NOT_FOUND')

  // An entry of another namespace: not visible without auth (the plugin's namespace only).
  const otherKey = (await app.compStore.cache.list({ namespace: 'team-b' })).data[0]!.key
  expectStatus(t, await app.inject({ url: `/cache/${otherKey}` }), 404, 'CM_ERR_NOT_FOUND')
  expectStatus(t, await app.inject({ url: `/cache/${otherKey}?namespace=team-b` }), 404, 'CM_ERR_NOT_FOUND')
  expectStatus(t, await app.inject({ url: '/cache?namespace=team-b' }), 404, 'CM_ERR_NOT_FOUND')
  expectStatus(t, await app.inject({ url: '/cache/stats?namespace=team-b' }), 404, 'CM_ERR_NOT_FOUND')
  expectStatus(
    t,
    await app.inject({
      method: 'POST',
      url: '/cache/invalidate',
      payload: { all: true, namespace: 'team-b' },
    }),
    404,
    'CM_ERR_NOT_FOUND',
  )
  t.equal((await app.compStore.cache.stats('team-b')).entries, 2, 'nothing deleted in team-b')
})

t.test('DELETE /cache/:key deletes the entry (204), then 404', async (t) => {
  const app = await build(t, { cache: { cacheOptions: { l1: true } } })
  const { square, runs } = await fill(app.cache)
  const key = app.cache.explain('square', [2]).key
  const res = await app.inject({ method: 'DELETE', url: `/cache/${key}` })
  t.equal(res.statusCode, 204)
  t.equal(res.body, '', 'no body')
  t.equal(await app.cache.has(key), false, 'gone from the store and from the L1')
  await square(2)
  t.equal(runs.square, 4, 'the next call computes again (the L1 copy was dropped too)')
  expectStatus(
    t,
    await app.inject({ method: 'DELETE', url: `/cache/${'f'.repeat(64)}` }),
    404,
    'CM_ERR_NOT_FOUND',
  )
  expectStatus(
    t,
    await app.inject({ method: 'DELETE', url: '/cache/x?namespace=team-b' }),
    404,
    'CM_ERR_NOT_FOUND',
  )
})

t.test('POST /cache/invalidate by function, tag, version and all returns the counts', async (t) => {
  const app = await build(t)
  const { square, greet, runs } = await fill(app.cache)
  const invalidate = (payload: object) => app.inject({ method: 'POST', url: '/cache/invalidate', payload })

  t.same(expectStatus(t, await invalidate({ tag: 'n:1' }), 200), { deleted: 1, namespace: 'default' })
  t.same(expectStatus(t, await invalidate({ tag: 'n:1' }), 200), { deleted: 0, namespace: 'default' })
  t.same(
    expectStatus(t, await invalidate({ function: 'square', tag: 'nope' }), 200).deleted,
    0,
    'criteria ANDed',
  )
  t.same(
    expectStatus(t, await invalidate({ function: 'square', version: 1 }), 200).deleted,
    2,
    'version as a number',
  )
  t.same(expectStatus(t, await invalidate({ version: '2' }), 200).deleted, 1, 'version as a string')
  t.equal((await app.compStore.cache.stats('default')).entries, 0)

  await square(5)
  await square(6)
  await greet('bob')
  t.same(
    expectStatus(t, await invalidate({ function: 'greet', all: false }), 200).deleted,
    1,
    '`all: false` is no criterion',
  )
  t.same(expectStatus(t, await invalidate({ all: true }), 200), { deleted: 2, namespace: 'default' })
  t.same(expectStatus(t, await invalidate({ all: true, namespace: 'default' }), 200).deleted, 0)
  const before = runs.square
  await square(5)
  t.equal(runs.square, before + 1, 'an invalidated call computes again')
})

t.test('POST /cache/invalidate with version null matches entries without a version', async (t) => {
  const app = await build(t)
  await fill(app.cache)
  await app.cache.set('plain', 1)
  await app.cache.set('versioned', 2, { version: 'v9' })
  const res = await app.inject({ method: 'POST', url: '/cache/invalidate', payload: { version: null } })
  t.same(expectStatus(t, res, 200), { deleted: 1, namespace: 'default' })
  t.equal(await app.cache.has('versioned'), true)
})

t.test('GET /cache/stats: this process counters and the store totals', async (t) => {
  const app = await build(t)
  const empty = expectStatus(t, await app.inject({ url: '/cache/stats' }), 200)
  t.same(empty, {
    namespace: 'default',
    hits: 0,
    misses: 0,
    staleHits: 0,
    dedupes: 0,
    hitRate: 0,
    fleet: {
      hits: 0,
      misses: 0,
      staleHits: 0,
      fills: 0,
      evictions: 0,
      fillTimeMs: 0,
      processes: 0,
      hitRate: 0,
      functions: [],
    },
    entries: 0,
    bytes: 0,
    namespaces: [{ namespace: 'default', entries: 0, bytes: 0 }],
  })

  const { square } = await fill(app.cache) // 4 misses
  await square(1)
  await square(2)
  await square(2)
  await square(3) // 4 hits
  await Promise.all([square(7), square(7), square(7)]) // 1 miss + 2 misses deduped in the process
  const stats = expectStatus(t, await app.inject({ url: '/cache/stats' }), 200)
  t.match(stats, { namespace: 'default', hits: 4, misses: 7, staleHits: 0, dedupes: 2 })
  t.equal(stats.hitRate, 4 / 11)
  t.equal(stats.entries, 5)
  const listed = (await app.compStore.cache.list({ namespace: 'default', perPage: 100 })).data
  t.equal(
    stats.bytes,
    listed.reduce((sum, e) => sum + e.size, 0),
    'bytes: the sum of the entry sizes',
  )
  t.same(stats.namespaces, [{ namespace: 'default', entries: 5, bytes: stats.bytes }])
  t.notOk('l1' in stats, 'no l1 without an L1')
  // The fleet's counters: this process is the whole fleet here, so they agree (fills: one per distinct key).
  t.match(stats.fleet, { processes: 1, hits: 4, misses: 7, evictions: 0 })
  const byFunction = stats.fleet.functions as { hits: number; misses: number }[]
  t.equal(
    byFunction.reduce((n, f) => n + f.hits, 0),
    4,
    'the per-function hits add up to the total',
  )
  t.equal(
    byFunction.reduce((n, f) => n + f.misses, 0),
    7,
    'the per-function misses add up to the total',
  )
})

t.test('GET /cache/stats reports the L1 when the cache has one', async (t) => {
  const app = await build(t, { cache: { cacheOptions: { l1: { max: 10 } } } })
  const { square } = await fill(app.cache)
  await square(1)
  const stats = expectStatus(t, await app.inject({ url: '/cache/stats' }), 200)
  t.equal(stats.hits, 1)
  t.equal(stats.l1.entries, 4)
  t.ok(stats.l1.bytes > 0)
})

t.test('400: bad types, unknown keys, $-keys, pagination bounds', async (t) => {
  const app = await build(t, { server: { maxParamLength: 300 } })
  const cases: Array<[string, string, unknown?]> = [
    ['GET', '/cache?page=0'],
    ['GET', '/cache?page=-1'],
    ['GET', '/cache?page=1.5'],
    ['GET', '/cache?page=abc'],
    ['GET', '/cache?per_page=0'],
    ['GET', '/cache?per_page=101'],
    ['GET', '/cache?sort=name'],
    ['GET', '/cache?namespace=bad%20ns'],
    ['GET', '/cache?tag='],
    ['GET', '/cache?bogus=1'],
    ['GET', '/cache?$where=1'],
    ['GET', '/cache?tag[$ne]=x'],
    ['GET', '/cache/stats?bogus=1'],
    ['GET', '/cache/stats?$gt=1'],
    ['GET', `/cache/${'k'.repeat(257)}`],
    ['GET', '/cache/abc?bogus=1'],
    ['DELETE', '/cache/abc?$ne=1'],
    ['POST', '/cache/invalidate', {}],
    ['POST', '/cache/invalidate', { all: false }],
    ['POST', '/cache/invalidate', { namespace: 'default' }],
    ['POST', '/cache/invalidate', { all: true, tag: 'math' }],
    ['POST', '/cache/invalidate', { all: true, function: 'square' }],
    ['POST', '/cache/invalidate', { all: true, version: null }],
    ['POST', '/cache/invalidate', { all: 'yes' }],
    ['POST', '/cache/invalidate', { function: 5 }],
    ['POST', '/cache/invalidate', { function: '' }],
    ['POST', '/cache/invalidate', { tag: ['a'] }],
    ['POST', '/cache/invalidate', { version: {} }],
    ['POST', '/cache/invalidate', { tag: 'a', bogus: 1 }],
    ['POST', '/cache/invalidate', { $where: 'this.a' }],
    ['POST', '/cache/invalidate', { function: { $ne: null } }],
    ['POST', '/cache/invalidate', { tag: 'a', namespace: '$bad' }],
    ['POST', '/cache/invalidate', [1, 2]],
    ['POST', '/cache/invalidate', 'null'],
  ]
  for (const [method, url, payload] of cases) {
    const res = await app.inject({
      method: method as 'GET',
      url,
      ...(payload === undefined
        ? {}
        : typeof payload === 'string'
          ? { payload, headers: { 'content-type': 'application/json' } }
          : { payload: payload as object }),
    })
    t.equal(
      res.statusCode,
      400,
      `${method} ${url} ${JSON.stringify(payload) ?? ''} → 400 (${res.body.slice(0, 200)})`,
    )
    const body = res.json()
    t.match(body.code, /^CM_ERR_(VALIDATION|MALFORMED)$/, 'a validation code')
    t.match(body, { statusCode: 400, error: 'Bad Request', requestId: String })
  }
  const malformed = await app.inject({
    method: 'POST',
    url: '/cache/invalidate',
    payload: '{"tag":',
    headers: { 'content-type': 'application/json' },
  })
  expectStatus(t, malformed, 400, 'CM_ERR_MALFORMED')
  const unknownKey = expectStatus(t, await app.inject({ url: '/cache?bogus=1' }), 400, 'CM_ERR_VALIDATION')
  t.match(unknownKey.details, { in: 'querystring' })
  const dollar = expectStatus(
    t,
    await app.inject({ method: 'POST', url: '/cache/invalidate', payload: { tag: 'a', x: { $gt: 1 } } }),
    400,
    'CM_ERR_VALIDATION',
  )
  t.match(dollar.message, /\$/)
})

t.test('keys longer than 100 characters need a larger maxParamLength', async (t) => {
  const long = 'k'.repeat(250)
  const small = await build(t)
  await small.cache.set(long, 1)
  t.equal(
    (await small.inject({ url: `/cache/${long}` })).statusCode,
    414,
    "Fastify's default maxParamLength is 100",
  )
  const large = await build(t, { server: { maxParamLength: 256 } })
  await large.cache.set(long, 1)
  t.equal(expectStatus(t, await large.inject({ url: `/cache/${long}` }), 200).key, long)
  expectStatus(t, await large.inject({ method: 'DELETE', url: `/cache/${long}` }), 204)
})

t.test('413 for a body over bodyLimit, with the standard body', async (t) => {
  const app = await build(t, { server: { bodyLimit: 64 } })
  const res = await app.inject({
    method: 'POST',
    url: '/cache/invalidate',
    payload: { tag: 'x'.repeat(100) },
  })
  expectStatus(t, res, 413, 'CM_ERR_MAX_BYTES')
})

t.test('the error handler stays in the plugin: the host app keeps its own', async (t) => {
  const app = await build(t)
  // A host route: Fastify's default error body, not ours.
  const res = await app.inject({ url: '/nowhere' })
  t.equal(res.statusCode, 404)
  t.notOk('requestId' in res.json(), "the host's 404 handler is untouched")
})
