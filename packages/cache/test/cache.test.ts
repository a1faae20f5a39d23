import { canonicalCall, hashKey } from '@comp-manager/core'
import t from 'tap'
import { type CacheEvents, createCache, FILL_HASH_PREFIX } from '../src/index.js'
import { codeOf, counted, deferred, errorOf, setup, storeKinds, tick } from './fixtures/helpers.js'

/** The core behaviour, on the reference MemoryStore and on a real SQLite file, with a manual clock. */
for (const kind of storeKinds) {
  t.test(`${kind}: hit, miss and TTL expiry`, async (t) => {
    const { cache, clock } = setup(t, kind, { ttl: '1m' })
    const square = counted(async (n: number) => n * n)
    const cachedSquare = cache.wrap('square', square)

    t.equal(await cachedSquare(4), 16, 'computed')
    t.equal(await cachedSquare(4), 16, 'served')
    t.equal(await cachedSquare(5), 25, 'another key is computed')
    t.equal(square.calls.length, 2, 'one execution per distinct call')

    clock.advance(59_999)
    t.equal(await cachedSquare(4), 16)
    t.equal(square.calls.length, 2, 'still served a millisecond before the TTL')
    clock.advance(1)
    t.equal(await cachedSquare(4), 16)
    t.equal(square.calls.length, 3, 'recomputed once the TTL is over')

    const stats = await cache.stats()
    t.match(stats, { hits: 2, misses: 3, staleHits: 0, dedupes: 0, entries: 1 }, 'square(5) has expired')
    t.equal(stats.hitRate, 2 / 5)
    t.ok(stats.bytes > 0, 'bytes come from the store')
    t.notOk('l1' in stats, 'no L1 section without an L1')
  })

  t.test(`${kind}: per-wrap ttl overrides the cache default; null never expires`, async (t) => {
    const { cache, clock } = setup(t, kind, { ttl: '1s' })
    const short = counted(async () => 'short')
    const forever = counted(async () => 'forever')
    const a = cache.wrap('a', short, { ttl: 100 })
    const b = cache.wrap('b', forever, { ttl: null })
    await a()
    await b()
    clock.advance(10 * 365 * 86_400_000)
    await a()
    await b()
    t.equal(short.calls.length, 2)
    t.equal(forever.calls.length, 1)
  })

  t.test(`${kind}: the version is part of the key`, async (t) => {
    const { cache } = setup(t, kind)
    const v1 = counted(async (x: number) => `v1:${x}`)
    const v2 = counted(async (x: number) => `v2:${x}`)
    const first = cache.wrap('report', v1, { version: 1 })
    t.equal(await first(1), 'v1:1')
    const second = cache.wrap('report', v2, { version: 2 })
    t.equal(await second(1), 'v2:1', 'a version bump misses the old entry')
    t.equal(await first(1), 'v1:1', 'the old version still has its own entry')
    t.equal(v1.calls.length + v2.calls.length, 2)
    t.equal(await cache.invalidate({ version: 1 }), 1, 'invalidate by version (a number matches its text)')
    t.equal(await cache.invalidate({ version: '2' }), 1)
    t.equal((await cache.stats()).entries, 0)
  })

  t.test(`${kind}: tags, static and from a function, invalidate`, async (t) => {
    const { cache } = setup(t, kind)
    const user = counted(async (id: number) => ({ id, team: id % 2 === 0 ? 'even' : 'odd' }))
    const cachedUser = cache.wrap('user', user, {
      tags: (args, result) => [`user:${args[0]}`, `team:${result.team}`],
    })
    const config = counted(async () => ({ theme: 'dark' }))
    const cachedConfig = cache.wrap('config', config, { tags: ['config', 'global'] })

    for (const id of [1, 2, 3, 4]) await cachedUser(id)
    await cachedConfig()
    t.equal(await cache.invalidate({ tag: 'team:even' }), 2, 'tags from the result')
    t.equal(await cache.invalidate({ tag: 'user:1' }), 1, 'tags from the arguments')
    t.equal(await cache.invalidate({ tag: 'global' }), 1, 'static tags')
    t.equal(await cache.invalidate({ tag: 'global' }), 0, 'nothing left to invalidate')
    t.equal((await cache.stats()).entries, 1, 'user 3 is left')
    for (const id of [1, 2, 3, 4]) await cachedUser(id)
    await cachedConfig()
    t.equal(user.calls.length, 4 + 3, 'invalidated entries are recomputed, the others served')
    t.equal(config.calls.length, 2)
    t.equal(await cache.invalidate({ fn: 'user', tag: 'team:odd' }), 2, 'criteria are ANDed')
    t.equal(await cache.invalidate({ fn: 'config' }), 1, 'by function')
    t.equal(await cache.invalidate({ all: true }), 2)
    t.equal(await codeOf(cache.invalidate({})), 'CM_ERR_INVALID_ARGUMENT', 'empty criteria are refused')
    t.equal(await codeOf(cache.invalidate({ all: true, tag: 'x' })), 'CM_ERR_INVALID_ARGUMENT')
    t.equal(
      await codeOf(cache.invalidate({ tags: 'x' } as never)),
      'CM_ERR_INVALID_ARGUMENT',
      'unknown criterion',
    )
  })

  t.test(`${kind}: invalidate({ function }), and \`fn\` as its deprecated alias`, async (t) => {
    const { cache } = setup(t, kind)
    const f = cache.wrap('f', async (x: number) => x, { functionFull: 'mod/f' })
    const fill = async () => {
      for (const x of [1, 2]) await f(x)
      await cache.set('k', 1, { function: 'f' })
    }
    await fill()
    t.equal(await cache.invalidate({ function: 'f' }), 3, '`function` matches the name')
    await fill()
    t.equal(await cache.invalidate({ function: 'mod/f' }), 2, '… or the functionFull')
    t.equal(await cache.invalidate({ fn: 'f' }), 1, 'the deprecated `fn` still works')
    await fill()
    t.equal(await cache.invalidate({ function: 'f', fn: 'f' }), 3, 'both, with the same value')
    const both = await errorOf(cache.invalidate({ function: 'f', fn: 'g' }))
    t.equal(both.code, 'CM_ERR_INVALID_ARGUMENT', 'both, with different values')
    t.equal(both.details?.option, 'fn')
    t.match(both.message, /@comp-manager\/cache invalidate\(\): `fn` is the deprecated name of `function`/)

    t.match(await cache.set('a', 1, { function: 'loader' }), { function: 'loader', functionFull: 'loader' })
    t.match(await cache.set('b', 1, { fn: 'loader' }), { function: 'loader', functionFull: 'loader' })
    t.match(await cache.set('c', 1), { function: 'cache.set' })
    const setBoth = await errorOf(cache.set('d', 1, { function: 'loader', fn: 'other' }))
    t.equal(setBoth.code, 'CM_ERR_INVALID_ARGUMENT')
    t.equal(setBoth.details?.option, 'fn')
    t.equal(await cache.invalidate({ function: 'loader' }), 2)
  })

  t.test(`${kind}: 8 concurrent callers in one process → one execution`, async (t) => {
    const { cache, store } = setup(t, kind)
    const gate = deferred()
    const slow = counted(async (n: bigint) => {
      await gate.promise
      return new Map([[n, n * n]])
    })
    const cachedSlow = cache.wrap('slow', slow)
    const calls = Array.from({ length: 8 }, () => cachedSlow(12n))
    await tick(20)
    gate.resolve()
    const results = await Promise.all(calls)
    t.equal(slow.calls.length, 1, 'exactly one execution')
    for (const result of results) t.same(result, new Map([[12n, 144n]]))
    t.match(await cache.stats(), { misses: 8, dedupes: 7, hits: 0 })

    const { key } = cache.explain('slow', [12n])
    const runs = await store.computations.list({ namespace: 'test' })
    t.equal(runs.total, 1, 'the fill is one recorded run')
    t.match(runs.data[0], {
      status: 'finished',
      hash: FILL_HASH_PREFIX + key,
      function: 'slow',
      result: { cacheKey: key },
      args: [{ __type__: 'bigint', value: '12' }],
      message: 'cache fill',
    })
  })

  t.test(`${kind}: errors are not cached and reach every waiter`, async (t) => {
    const { cache } = setup(t, kind)
    const gate = deferred()
    let fail = true
    const flaky = counted(async (x: string) => {
      await gate.promise
      if (fail) throw Object.assign(new RangeError(`bad ${x}`), { code: 'E_FLAKY' })
      return x.toUpperCase()
    })
    const cachedFlaky = cache.wrap('flaky', flaky)
    const calls = Array.from({ length: 8 }, () => cachedFlaky('a').catch((err: unknown) => err))
    await tick(20)
    gate.resolve()
    const errors = await Promise.all(calls)
    t.equal(flaky.calls.length, 1, 'one execution for all eight callers')
    for (const err of errors) t.equal(err, errors[0], 'every caller gets the very error thrown')
    t.type(errors[0], RangeError)
    t.equal((await cache.stats()).entries, 0, 'nothing stored')
    fail = false
    t.equal(await cachedFlaky('a'), 'A', 'the next call runs again')
    t.equal(flaky.calls.length, 2)
  })

  t.test(`${kind}: a waiter in another cache instance gets the recorded error`, async (t) => {
    const { cache, store, clock } = setup(t, kind)
    const other = createCache({ store, namespace: 'test', clock, pollMs: 5, maxPollMs: 10 })
    t.teardown(() => other.close())
    const gate = deferred()
    const started = deferred()
    const failing = cache.wrap('failing', async () => {
      started.resolve()
      await gate.promise
      throw Object.assign(new TypeError('no such thing'), { code: 'E_NOPE' })
    })
    const waiterFn = counted(async () => 'never')
    const waiting = other.wrap('failing', waiterFn)
    const first = failing().catch((err: unknown) => err)
    await started.promise
    const second = waiting().catch((err: unknown) => err)
    await tick(30)
    gate.resolve()
    const [a, b] = (await Promise.all([first, second])) as [
      Error & { code?: string },
      Error & { code?: string },
    ]
    t.type(a, TypeError)
    t.type(b, TypeError, 'rebuilt with the same class')
    t.equal(b.message, 'no such thing')
    t.equal(b.code, 'E_NOPE')
    t.not(a, b, 'another process gets a rebuilt error')
    t.equal(waiterFn.calls.length, 0, 'the waiter did not compute')
  })

  t.test(`${kind}: a value written between the read and the claim is used, not recomputed`, async (t) => {
    const { cache, store, clock } = setup(t, kind)
    const fn = counted(async (x: number) => x + 1)
    const { key } = cache.explain('inc', [1])
    // A store whose first read misses, as if another process's fill wrote the entry right after it
    // (its fill run finished: that is what tells the claim to read the entry again).
    let missed = false
    const read = async (...args: Parameters<typeof store.cache.get>) => {
      if (!missed) {
        missed = true
        const other = await store.computations.claim({
          namespace: 'test',
          function: 'inc',
          functionFull: 'inc',
          args: [1],
          hash: `cache:${key}`,
          hashAlgorithm: 'sha256',
          owner: null,
          pid: null,
          host: null,
          leaseMs: 60_000,
          onTerminal: 'rerun',
        })
        if (other.won) {
          await store.computations.update('test', other.record.id, 'started', {
            status: 'finished',
            result: { cacheKey: key, size: 2 },
          })
        }
        await store.cache.set({
          namespace: 'test',
          key,
          function: 'inc',
          functionFull: 'inc',
          algorithm: 'sha256',
          value: '42',
        })
        return null
      }
      return store.cache.get(...args)
    }
    const racyCache = new Proxy(store.cache, {
      get(target, prop) {
        if (prop === 'get') return read
        const value = Reflect.get(target, prop)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const racy = new Proxy(store, {
      get(target, prop) {
        if (prop === 'cache') return racyCache
        const value = Reflect.get(target, prop)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const raced = createCache({ store: racy, namespace: 'test', clock })
    t.teardown(() => raced.close())
    t.equal(await raced.wrap('inc', fn)(1), 42, 'the entry written meanwhile is adopted')
    t.equal(fn.calls.length, 0, 'no second execution')
    t.match(await raced.stats(), { misses: 1, dedupes: 1 })
  })

  t.test(`${kind}: unencodable and rejected results are returned, not stored, with a warning`, async (t) => {
    const { cache } = setup(t, kind)
    const warnings: CacheEvents['warning'][] = []
    cache.on('warning', (w) => warnings.push(w))
    const withFunction = counted(async () => ({ ok: true, callback: () => 1 }))
    const cachedWithFunction = cache.wrap('withFunction', withFunction)
    const first = await cachedWithFunction()
    t.equal(first.ok, true)
    t.type(first.callback, 'function', 'the caller gets the value as computed')
    await cachedWithFunction()
    t.equal(withFunction.calls.length, 2, 'not stored: computed again')
    t.match(warnings[0], {
      reason: 'encode',
      name: 'withFunction',
      error: { code: 'CM_ERR_UNSUPPORTED_TYPE' },
    })
    t.match(warnings[0]?.message, /cannot be encoded/)

    warnings.length = 0
    const nothing = counted(async () => undefined)
    const cachedNothing = cache.wrap('nothing', nothing)
    t.equal(await cachedNothing(), undefined)
    await cachedNothing()
    t.equal(nothing.calls.length, 2, 'undefined is not cached by default')
    t.match(warnings, [{ reason: 'not-cacheable' }, { reason: 'not-cacheable' }])

    const small = counted(async (n: number) => n)
    const onlyBig = cache.wrap('onlyBig', small, { shouldCache: (n) => n > 10 })
    await onlyBig(1)
    await onlyBig(1)
    await onlyBig(100)
    await onlyBig(100)
    t.equal(small.calls.length, 3, 'shouldCache decides')

    warnings.length = 0
    const badTags = counted(async () => 'value')
    const cachedBadTags = cache.wrap('badTags', badTags, { tags: () => 'not-a-list' as never })
    t.equal(await cachedBadTags(), 'value', 'a tags function of the wrong type: value returned')
    t.match(warnings, [{ reason: 'tags' }])
    t.equal((await cache.stats()).entries, 1, 'only onlyBig(100) is stored')
  })

  t.test(`${kind}: waiters that find no entry compute it themselves`, async (t) => {
    const { cache, store, clock } = setup(t, kind)
    const other = createCache({ store, namespace: 'test', clock, pollMs: 5, maxPollMs: 10 })
    t.teardown(() => other.close())
    const gate = deferred()
    const started = deferred()
    const a = counted(async () => {
      started.resolve()
      await gate.promise
      return { fn: () => 'unencodable' }
    })
    const b = counted(async () => ({ fn: () => 'computed by b' }))
    const first = cache.wrap('unstorable', a)()
    await started.promise
    const second = other.wrap('unstorable', b)()
    await tick(30)
    gate.resolve()
    const [ra, rb] = await Promise.all([first, second])
    t.equal(ra.fn(), 'unencodable')
    t.equal(rb.fn(), 'computed by b', 'the waiter found no entry and ran the function')
    t.equal(a.calls.length + b.calls.length, 2)
  })

  t.test(`${kind}: a dead computer's run is taken over after its lease`, async (t) => {
    const { cache, store, clock } = setup(t, kind, { leaseMs: 1000 })
    const fn = counted(async (x: number) => x * 2)
    const { key } = cache.explain('double', [21])
    // A process claimed the fill and died: its run stays 'started' until its lease runs out.
    const dead = await store.computations.claim({
      namespace: 'test',
      function: 'double',
      functionFull: 'double',
      args: [21],
      hash: FILL_HASH_PREFIX + key,
      hashAlgorithm: 'sha256',
      owner: null,
      pid: 999_999,
      host: 'gone',
      leaseMs: 1000,
      onTerminal: 'rerun',
    })
    t.ok(dead.won)
    const result = cache.wrap('double', fn)(21)
    await tick(40)
    t.equal(fn.calls.length, 0, 'waits while the lease is valid')
    clock.advance(1000)
    t.equal(await result, 42, 'the waiter expired the lease, claimed again and computed')
    t.equal(fn.calls.length, 1)
    const runs = await store.computations.list({ namespace: 'test', sort: 'createdAt' })
    t.same(
      runs.data.map((r) => [r.attempt, r.status]),
      [
        [1, 'lost'],
        [2, 'finished'],
      ],
    )
  })

  t.test(`${kind}: timeoutMs bounds a waiter`, async (t) => {
    const { cache, store } = setup(t, kind)
    const { key } = cache.explain('stuck', [])
    await store.computations.claim({
      namespace: 'test',
      function: 'stuck',
      functionFull: 'stuck',
      args: [],
      hash: FILL_HASH_PREFIX + key,
      hashAlgorithm: 'sha256',
      owner: null,
      pid: null,
      host: null,
      leaseMs: 60_000,
    })
    const err = await errorOf(cache.wrap('stuck', async () => 1, { timeoutMs: 50 })())
    t.equal(err.code, 'CM_ERR_TIMEOUT')
    t.equal(err.details?.key, key)
  })

  t.test(`${kind}: L1 serves hits, never past the TTL, and is cleared by invalidate`, async (t) => {
    const { cache, clock, store } = setup(t, kind, {
      l1: { max: 100, maxBytes: 1_000_000, ttl: null },
      ttl: '10s',
    })
    const sources: string[] = []
    cache.on('hit', (hit) => sources.push(hit.source))
    const fn = counted(async (x: number) => ({ x }))
    const cachedFn = cache.wrap('l1fn', fn, { tags: ['t'] })
    const first = await cachedFn(1)
    const second = await cachedFn(1)
    t.equal(second, first, 'L1 hands out the very same object')
    t.same(sources, ['l1'])
    t.match((await cache.stats()).l1, { entries: 1 })

    clock.advance(9_999)
    await cachedFn(1)
    t.same(sources, ['l1', 'l1'])
    clock.advance(1)
    await cachedFn(1)
    t.equal(fn.calls.length, 2, 'not served from L1 at its TTL')

    t.equal(await cache.invalidate({ tag: 't' }), 1)
    await cachedFn(1)
    t.equal(fn.calls.length, 3, 'invalidate cleared L1 as well')
    await cache.delete(cache.explain('l1fn', [1]).key)
    await cachedFn(1)
    t.equal(fn.calls.length, 4, 'delete cleared L1 as well')

    // Another process (another cache on the store) invalidates: this L1 keeps its copy until its
    // own bound; here the TTL.
    const other = createCache({ store, namespace: 'test', clock })
    t.teardown(() => other.close())
    t.equal(await other.invalidate({ fn: 'l1fn' }), 1)
    await cachedFn(1)
    t.equal(fn.calls.length, 4, 'served from this L1 although the store entry is gone')
  })

  t.test(`${kind}: l1.ttl bounds how long another process's invalidation goes unseen`, async (t) => {
    const { cache, clock, store } = setup(t, kind, { l1: { ttl: '2s' }, ttl: '1h' })
    const other = createCache({ store, namespace: 'test', clock })
    t.teardown(() => other.close())
    const fn = counted(async () => 'v')
    const cachedFn = cache.wrap('bounded', fn)
    await cachedFn()
    await other.invalidate({ all: true })
    clock.advance(1999)
    await cachedFn()
    t.equal(fn.calls.length, 1, 'within l1.ttl: the L1 copy')
    clock.advance(1)
    await cachedFn()
    t.equal(fn.calls.length, 2, 'after l1.ttl: back to the store, which no longer has it')
  })

  t.test(`${kind}: explicit get/set/has/delete`, async (t) => {
    const { cache, clock } = setup(t, kind, { l1: true })
    t.equal(await cache.get('user:1'), undefined)
    t.equal(await cache.has('user:1'), false)
    const meta = await cache.set(
      'user:1',
      { name: 'Ada', born: new Date('1815-12-10') },
      { ttl: '1h', tags: ['users'] },
    )
    t.match(meta, { key: 'user:1', function: 'cache.set', tags: ['users'], algorithm: 'custom' })
    t.same(await cache.get('user:1'), { name: 'Ada', born: new Date('1815-12-10') })
    t.equal(await cache.has('user:1'), true)
    t.equal(await cache.delete('user:1'), true)
    t.equal(await cache.delete('user:1'), false)
    t.equal(await cache.has('user:1'), false)
    await cache.set('temp', 1, { ttl: 1000 })
    clock.advance(1000)
    t.equal(await cache.get('temp'), undefined, 'expired: never returned')
    t.equal(
      await codeOf(cache.set('bad', { f: () => 1 })),
      'CM_ERR_UNSUPPORTED_TYPE',
      'set refuses unencodable values',
    )
    t.equal(await codeOf(cache.get('')), 'CM_ERR_INVALID_ARGUMENT')
    t.equal(await codeOf(cache.set('k', 1, { ttl: '-1s' as never })), 'CM_ERR_INVALID_ARGUMENT')
    t.match(await cache.stats(), { hits: 1, misses: 2 })
  })

  t.test(`${kind}: custom keys, ignoreArgs and explain`, async (t) => {
    const { cache } = setup(t, kind)
    const byId = counted(async (user: { id: number; name: string }) => user.name.toUpperCase())
    const cachedById = cache.wrap('byId', byId, { key: (user) => `user:${user.id}` })
    t.equal(await cachedById({ id: 1, name: 'ada' }), 'ADA')
    t.equal(await cachedById({ id: 1, name: 'ignored' }), 'ADA', 'same custom key: served')
    t.equal(await cache.get('user:1'), 'ADA', 'the custom key is the entry key')
    t.same(cache.explain('byId', [{ id: 1, name: 'x' }]), {
      key: 'user:1',
      algorithm: 'custom',
      canonical: null,
    })

    const once = counted(async (_x: number) => Math.random())
    const cachedOnce = cache.wrap('once', once, { ignoreArgs: true })
    t.equal(await cachedOnce(1), await cachedOnce(2))
    t.equal(once.calls.length, 1)

    cache.wrap('keyed', async (_a: unknown) => 1, { version: 3, functionFull: 'mod/keyed' })
    const explained = cache.explain('keyed', [{ b: 1, a: new Set([2, 1]) }])
    const input = { fn: 'mod/keyed', version: 3, args: [{ a: new Set([1, 2]), b: 1 }] }
    t.same(explained, { key: hashKey(input).key, algorithm: 'sha256', canonical: canonicalCall(input) })
    t.equal(
      explained.canonical,
      '{"args":[{"a":{"__type__":"Set","values":[1,2]},"b":1}],"fn":"mod/keyed","version":3}',
    )
    t.not(
      cache.explain('keyed', [1], { version: 4 }).key,
      cache.explain('keyed', [1]).key,
      'options override',
    )

    const err = await errorOf(
      cache.wrap('throws', async () => 1, {
        key: () => {
          throw new Error('no id')
        },
      })(),
    )
    t.equal(err.code, 'CM_ERR_INVALID_ARGUMENT', 'a throwing key function is an error, never a silent miss')
    t.match(err.message, /key` function threw: no id/)
    t.match(err.cause, { message: 'no id' })
    t.equal(await codeOf(cache.wrap('empty', async () => 1, { key: () => '' })()), 'CM_ERR_INVALID_ARGUMENT')
    t.equal(
      await codeOf(cache.wrap('long', async () => 1, { key: () => 'x'.repeat(251) })()),
      'CM_ERR_INVALID_ARGUMENT',
    )
    t.equal(
      await codeOf(cache.wrap('num', async () => 1, { key: (() => 5) as never })()),
      'CM_ERR_INVALID_ARGUMENT',
    )
    t.equal(
      await codeOf(cache.wrap('fnArg', async (_f: unknown) => 1)(() => 1)),
      'CM_ERR_UNSUPPORTED_TYPE',
      'unhashable args',
    )
  })

  t.test(`${kind}: storeArgs keeps the encoded arguments, size-capped`, async (t) => {
    const { cache, store, clock } = setup(t, kind, { maxArgsBytes: 200 })
    const echo = cache.wrap('echo', async (x: unknown) => typeof x, { storeArgs: true })
    await echo(10n)
    clock.advance(1)
    await echo('x'.repeat(500))
    const entries = await store.cache.list({ namespace: 'test', sort: 'createdAt' })
    t.same(
      entries.data.map((e) => e.args),
      [[{ __type__: 'bigint', value: '10' }], null],
      'small args kept; over maxArgsBytes left out',
    )
  })

  t.test(`${kind}: events and purge`, async (t) => {
    const { cache, clock } = setup(t, kind, { ttl: 100 })
    const seen: string[] = []
    cache.on('miss', (e) => seen.push(`miss:${e.name}`))
    cache.on('hit', (e) => seen.push(`hit:${e.source}`))
    cache.on('set', (e) => seen.push(`set:${e.name}:${e.expiresAt === clock.now + 100}`))
    cache.once('set', () => {
      throw new Error('a listener that throws does not break the call')
    })
    const f = cache.wrap('f', async (x: number) => x)
    await f(1)
    await f(1)
    await f(2)
    t.same(seen, ['miss:f', 'set:f:true', 'hit:store', 'miss:f', 'set:f:true'])
    clock.advance(100)
    t.equal(await cache.purge(), 2, 'expired entries purged')
    t.equal((await cache.stats()).entries, 0)
  })

  t.test(`${kind}: close stops the cache, not the store`, async (t) => {
    const { cache, store } = setup(t, kind, { purgeIntervalMs: 10 })
    const f = cache.wrap('f', async () => 1)
    await f()
    await cache.close()
    await cache.close()
    t.equal(await codeOf(f()), 'CM_ERR_STORE_UNAVAILABLE')
    t.equal(await codeOf(cache.get('k')), 'CM_ERR_STORE_UNAVAILABLE')
    t.equal((await store.ping()).ok, true, 'the store it was given stays open')
  })
}
