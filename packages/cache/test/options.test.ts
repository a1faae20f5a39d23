import { MemoryStore } from '@comp-manager/core'
import t from 'tap'
import { type CacheOptions, createCache, parseDuration } from '../src/index.js'
import { codeOf, errorOf } from './fixtures/helpers.js'

/** Bad input fails early, with `CM_ERR_INVALID_ARGUMENT` naming the option. */

t.test('durations: a small strict parser', async (t) => {
  const good: [unknown, number][] = [
    [1, 1],
    [1500, 1500],
    [0.5, 0.5],
    ['250ms', 250],
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['1.5h', 5_400_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
  ]
  for (const [input, ms] of good) t.equal(parseDuration(input, 'ttl'), ms, `${String(input)} → ${ms}`)
  const bad = [
    '1 h',
    '1hour',
    '1H',
    '-5s',
    '+5s',
    '1e3ms',
    '10',
    '',
    'h',
    '.5s',
    '5.s',
    '1h30m',
    ' 1s',
    '0s',
    0,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    '101000d',
    null,
    true,
    {},
  ]
  for (const input of bad) {
    const err = await errorOf(() => parseDuration(input, 'ttl'))
    t.equal(err.code, 'CM_ERR_INVALID_ARGUMENT', `${JSON.stringify(input) ?? String(input)} is refused`)
    t.equal(err.details?.option, 'ttl', 'the error names the option')
  }
  t.equal(parseDuration(0, 'x', true), 0, 'zero where allowed')
})

const store = new MemoryStore()
t.teardown(() => store.close())
const options = (over: Record<string, unknown> = {}) => ({ store, namespace: 'ns', ...over }) as CacheOptions

t.test('createCache', async (t) => {
  const cases: [string, unknown, string][] = [
    ['no options', undefined, ''],
    ['no store', { namespace: 'ns' }, 'store'],
    ['not a store', { store: {}, namespace: 'ns' }, 'store'],
    ['bad namespace', options({ namespace: 'has space' }), 'namespace'],
    ['no namespace', options({ namespace: undefined }), 'namespace'],
    ['ttl string', options({ ttl: '1 hour' }), 'ttl'],
    ['negative ttl', options({ ttl: -5 }), 'ttl'],
    ['NaN ttl', options({ ttl: Number.NaN }), 'ttl'],
    ['l1 shape', options({ l1: 5 }), 'l1'],
    ['l1.max', options({ l1: { max: 0 } }), 'l1.max'],
    ['l1.ttl', options({ l1: { ttl: '-1s' } }), 'l1.ttl'],
    ['l1 unknown', options({ l1: { size: 5 } }), 'l1.size'],
    ['leaseMs', options({ leaseMs: 0 }), 'leaseMs'],
    ['heartbeat ≥ lease', options({ leaseMs: 100, heartbeatMs: 100 }), 'heartbeatMs'],
    ['clock', options({ clock: 5 }), 'clock'],
    ['codec', options({ codec: {} }), 'codec'],
    ['logger', options({ logger: {} }), 'logger'],
    ['purgeIntervalMs', options({ purgeIntervalMs: -1 }), 'purgeIntervalMs'],
    ['maxArgsBytes', options({ maxArgsBytes: 1.5 }), 'maxArgsBytes'],
    ['unknown option', options({ tll: '1h' }), 'tll'],
  ]
  for (const [what, input, option] of cases) {
    const err = await errorOf(() => createCache(input as CacheOptions))
    t.equal(err.code, 'CM_ERR_INVALID_ARGUMENT', what)
    if (option !== '') {
      t.equal(err.details?.option, option, `${what}: names \`${option}\``)
      t.match(err.message, option)
    }
  }
  t.ok(createCache(options({ l1: true, ttl: '1h', leaseMs: 1000 })), 'good options pass')
})

t.test('wrap', async (t) => {
  const cache = createCache(options())
  const fn = async (x: number) => x
  const wrapCode = (name: unknown, f: unknown, opts?: unknown) =>
    errorOf(() => cache.wrap(name as string, f as typeof fn, opts as never))
  const cases: [string, unknown, unknown, unknown, string][] = [
    ['non-function', 'f', 42, undefined, 'fn'],
    ['missing function', 'f', undefined, undefined, 'fn'],
    ['empty name', '', fn, undefined, 'name'],
    ['non-string name', 5, fn, undefined, 'name'],
    ['ttl word', 'f', fn, { ttl: 'soon' }, 'ttl'],
    ['ttl with space', 'f', fn, { ttl: '1 h' }, 'ttl'],
    ['ttl unit', 'f', fn, { ttl: '5y' }, 'ttl'],
    ['negative ttl', 'f', fn, { ttl: -1 }, 'ttl'],
    ['negative ttl string', 'f', fn, { ttl: '-1s' }, 'ttl'],
    ['NaN ttl', 'f', fn, { ttl: Number.NaN }, 'ttl'],
    ['zero ttl', 'f', fn, { ttl: 0 }, 'ttl'],
    ['swr without ttl', 'f', fn, { staleWhileRevalidate: '1m' }, 'staleWhileRevalidate'],
    ['bad swr', 'f', fn, { ttl: '1m', staleWhileRevalidate: 'later' }, 'staleWhileRevalidate'],
    ['tags not a list', 'f', fn, { tags: 'users' }, 'tags'],
    ['tags of numbers', 'f', fn, { tags: [1, 2] }, 'tags'],
    ['empty tag', 'f', fn, { tags: [''] }, 'tags'],
    ['key not a function', 'f', fn, { key: 'k' }, 'key'],
    ['key and ignoreArgs', 'f', fn, { key: () => 'k', ignoreArgs: true }, 'ignoreArgs'],
    ['version object', 'f', fn, { version: {} }, 'version'],
    ['shouldCache', 'f', fn, { shouldCache: true }, 'shouldCache'],
    ['timeoutMs', 'f', fn, { timeoutMs: -5 }, 'timeoutMs'],
    ['storeArgs', 'f', fn, { storeArgs: 'yes' }, 'storeArgs'],
    ['functionFull', 'f', fn, { functionFull: '' }, 'functionFull'],
    ['unknown option', 'f', fn, { ttl: '1h', tag: ['x'] }, 'tag'],
  ]
  for (const [what, name, f, opts, option] of cases) {
    const err = await wrapCode(name, f, opts)
    t.equal(err.code, 'CM_ERR_INVALID_ARGUMENT', what)
    t.equal(err.details?.option, option, `${what}: names \`${option}\``)
  }
  t.type(cache.wrap('ok', fn, { ttl: '2d', staleWhileRevalidate: '1h', tags: ['a'], version: 2 }), 'function')
  t.equal(await codeOf(() => cache.explain('f', 'not-an-array' as never)), 'CM_ERR_INVALID_ARGUMENT')
  await cache.close()
})

t.test('every duration option takes milliseconds or a duration string', async (t) => {
  const cache = createCache(
    options({
      ttl: '1h',
      leaseMs: '30s',
      heartbeatMs: '5s',
      purgeIntervalMs: '1h',
      pollMs: '10ms',
      maxPollMs: '1s',
      l1: { ttl: '1m' },
    }),
  )
  t.type(
    cache.wrap('f', async () => 1, { ttl: '2d', staleWhileRevalidate: '1h', timeoutMs: '5s' }),
    'function',
  )
  await cache.close()
  const cases: [Record<string, unknown>, string][] = [
    [{ leaseMs: '1s', heartbeatMs: '1s' }, 'heartbeatMs'],
    [{ leaseMs: '1 s' }, 'leaseMs'],
    [{ heartbeatMs: '-1s' }, 'heartbeatMs'],
    [{ pollMs: '1s', maxPollMs: '500ms' }, 'maxPollMs'],
    [{ purgeIntervalMs: '30d' }, 'purgeIntervalMs'],
    [{ l1: { ttl: 'soon' } }, 'l1.ttl'],
  ]
  for (const [over, option] of cases) {
    const err = await errorOf(() => createCache(options(over)))
    t.equal(err.code, 'CM_ERR_INVALID_ARGUMENT', JSON.stringify(over))
    t.equal(err.details?.option, option)
    t.match(err.message, `@comp-manager/cache createCache: \`${option}\``, 'names the package and the option')
  }
  const wrapErr = await errorOf(() =>
    createCache(options()).wrap('f', async () => 1, { timeoutMs: '1x' as never }),
  )
  t.match(wrapErr, { code: 'CM_ERR_INVALID_ARGUMENT', details: { option: 'timeoutMs' } })
})

t.test(
  'objects are used as given: a logger whose methods are inherited (pino, Fastify app.log)',
  async (t) => {
    const logged: string[] = []
    const logger = Object.create({
      warn: (_details: object, message: string) => logged.push(`warn: ${message}`),
      error: (_details: object, message: string) => logged.push(`error: ${message}`),
    })
    const cache = createCache(options({ logger }))
    await cache.wrap('undef', async () => undefined)()
    t.match(logged, [/^warn: cache "undef": shouldCache rejected/])
    t.equal(cache.store, store, 'the store itself, not a copy')
    const err = await errorOf(() => createCache(options({ logger: Object.create({ warn() {} }) })))
    t.match(err, { code: 'CM_ERR_INVALID_ARGUMENT', details: { option: 'logger' } })
    await cache.close()
  },
)

t.test('a logger receives warnings and errors', async (t) => {
  const logged: string[] = []
  const logger = {
    warn: (details: object, message: string) =>
      logged.push(`warn ${(details as { reason: string }).reason}: ${message}`),
    error: (_details: object, message: string) => logged.push(`error: ${message}`),
  }
  const cache = createCache(options({ logger }))
  await cache.wrap('undef', async () => undefined)()
  cache.on('hit', () => {
    throw new Error('listener bug')
  })
  await cache.set('k', 1)
  await cache.get('k')
  t.match(logged, [
    /^warn not-cacheable: cache "undef": shouldCache rejected/,
    /^error: cache: listener failed: listener bug/,
  ])
  await cache.close()
})
