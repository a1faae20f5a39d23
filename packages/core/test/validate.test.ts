import t from 'tap'
import {
  assertComputationStatus,
  assertJsonTree,
  assertKey,
  assertNamespace,
  type ComputationQuery,
  MAX_JSON_DEPTH,
  normalizeCacheQuery,
  normalizeComputationQuery,
  normalizeFindExpiredOptions,
  validateCacheGetOptions,
  validateInvalidateCriteria,
  validateNewComputation,
  validatePatch,
} from '../src/store-kit.js'

/** The error `fn` throws (or `undefined`). */
function errorOf(fn: () => unknown): { code?: unknown; message?: unknown; details?: unknown } | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    return err as { code?: unknown }
  }
}
const codeOf = (fn: () => unknown): unknown => errorOf(fn)?.code

const nest = (depth: number): unknown => (depth === 0 ? 'leaf' : { down: nest(depth - 1) })

t.test('assertNamespace', async (t) => {
  for (const good of ['a', 'tenant-a', 'A.b_c:d-e', '9', 'x'.repeat(128)]) {
    t.equal(
      codeOf(() => assertNamespace(good)),
      undefined,
      good,
    )
  }
  for (const bad of [
    '',
    '-a',
    '.a',
    '_a',
    'a b',
    'é',
    '$ne',
    '__proto__',
    'x'.repeat(129),
    42,
    null,
    undefined,
    {},
  ]) {
    t.equal(
      codeOf(() => assertNamespace(bad)),
      'CM_ERR_INVALID_ARGUMENT',
      JSON.stringify(bad) ?? 'undefined',
    )
  }
})

t.test('assertKey', async (t) => {
  t.equal(
    codeOf(() => assertKey('k', 'key')),
    undefined,
  )
  t.equal(
    codeOf(() => assertKey('k'.repeat(256), 'key')),
    undefined,
    '256 characters',
  )
  for (const bad of ['', 'k'.repeat(257), 1, null, { $ne: null }]) {
    t.equal(
      codeOf(() => assertKey(bad, 'key')),
      'CM_ERR_INVALID_ARGUMENT',
      JSON.stringify(bad),
    )
  }
  t.same(errorOf(() => assertKey('', 'id'))?.details, { field: 'id' }, 'names the field')
})

t.test('assertJsonTree', async (t) => {
  const good: unknown[] = [
    null,
    true,
    0,
    -1.5,
    '',
    'text',
    [],
    {},
    [1, 'a', null, { b: [false] }],
    Object.create(null),
    JSON.parse('{"__proto__":{"x":1},"$where":"1","a.b":2}'),
    nest(MAX_JSON_DEPTH),
  ]
  for (const value of good)
    t.equal(
      codeOf(() => assertJsonTree(value, 'args')),
      undefined,
      'accepted',
    )

  const cycle: Record<string, unknown> = {}
  cycle.self = cycle
  const bad: Array<[string, unknown, string]> = [
    ['undefined', undefined, 'args'],
    ['a function', { a: [() => 1] }, 'args.a[0]'],
    ['a BigInt', 1n, 'args'],
    ['a Symbol', { s: Symbol('s') }, 'args.s'],
    ['NaN', [Number.NaN], 'args[0]'],
    ['-Infinity', { n: Number.NEGATIVE_INFINITY }, 'args.n'],
    ['a Date', { d: new Date() }, 'args.d'],
    ['a Map', new Map(), 'args'],
    ['a Set', { s: new Set() }, 'args.s'],
    ['a typed array', { b: new Uint8Array(2) }, 'args.b'],
    ['a class instance', { p: new (class Point {})() }, 'args.p'],
    ['a hole', Object.assign(new Array(3), { 0: 1, 2: 2 }), 'args[1]'],
    ['undefined in an object', { u: undefined }, 'args.u'],
    ['too deep', nest(MAX_JSON_DEPTH + 1), 'args'],
    ['a cycle', cycle, 'args'],
  ]
  for (const [why, value, path] of bad) {
    const err = errorOf(() => assertJsonTree(value, 'args'))
    t.equal(err?.code, 'CM_ERR_INVALID_ARGUMENT', why)
    t.ok(
      typeof err?.message === 'string' && err.message.startsWith(path),
      `${why}: message starts with ${path}`,
    )
  }
})

t.test('validateNewComputation', async (t) => {
  const input = {
    namespace: 'ns',
    function: 'f',
    functionFull: 'm/f',
    args: { n: 1 },
    hash: 'h',
    hashAlgorithm: 'sha256',
  }
  t.equal(
    codeOf(() => validateNewComputation(input)),
    undefined,
    'valid',
  )
  t.equal(
    codeOf(() => validateNewComputation({ ...input, args: { f: () => 1 } })),
    'CM_ERR_INVALID_ARGUMENT',
    'args',
  )
  const unknown = errorOf(() => validateNewComputation({ ...input, $set: { status: 'x' } }))
  t.equal(unknown?.code, 'CM_ERR_INVALID_ARGUMENT')
  t.match(unknown?.message, /\/\$set is not a known field/, 'names the unknown field')
  t.match(errorOf(() => validateNewComputation(null))?.message, /must be an object, got null/)
  t.match(errorOf(() => validateNewComputation({ ...input, hash: 5 }))?.message, /\/hash/)
})

t.test('validatePatch checks the checkpoint is JSON', async (t) => {
  t.equal(
    codeOf(() => validatePatch({ checkpoint: { step: 1 } })),
    undefined,
  )
  t.equal(
    codeOf(() => validatePatch({ checkpoint: null })),
    undefined,
    'null',
  )
  t.equal(
    codeOf(() => validatePatch({ checkpoint: new Date() })),
    'CM_ERR_INVALID_ARGUMENT',
  )
})

t.test('assertComputationStatus', async (t) => {
  t.equal(
    codeOf(() => assertComputationStatus('paused', 'expectedStatus')),
    undefined,
  )
  for (const bad of ['done', '', null, 1, 'constructor']) {
    t.equal(
      codeOf(() => assertComputationStatus(bad, 'expectedStatus')),
      'CM_ERR_INVALID_ARGUMENT',
      String(bad),
    )
  }
})

t.test('normalizeComputationQuery', async (t) => {
  const defaults = normalizeComputationQuery({ namespace: 'ns' })
  t.match(defaults.fingerprint, /^[\w-]{16}$/, 'a fingerprint of the filters')
  t.same(defaults, {
    fingerprint: defaults.fingerprint,
    after: undefined,
    countLimit: 10_000,
    include: { args: true, checkpoint: true },
    namespaces: ['ns'],
    statuses: undefined,
    function: undefined,
    hash: undefined,
    since: undefined,
    until: undefined,
    sort: { field: 'createdAt', descending: true },
    page: 1,
    perPage: 20,
    offset: 0,
  })
  const q = normalizeComputationQuery({
    namespace: ['a', 'b', 'a'],
    status: ['failed', 'lost', 'failed'],
    sort: 'updatedAt',
    page: 3,
    perPage: 10,
  })
  t.same(q.namespaces, ['a', 'b'], 'namespaces deduplicated')
  t.same(q.statuses, ['failed', 'lost'], 'statuses deduplicated')
  t.same(q.sort, { field: 'updatedAt', descending: false })
  t.equal(q.offset, 20)
  t.same(normalizeComputationQuery({ namespace: 'ns', status: 'queued' }).statuses, ['queued'], 'one status')

  // Regression: a non-iterable status used to escape as a raw TypeError from the spread.
  const bad: Array<[string, unknown]> = [
    ['status 5', { namespace: 'ns', status: 5 }],
    ['status {}', { namespace: 'ns', status: {} }],
    ['status []', { namespace: 'ns', status: [] }],
    ['status [bogus]', { namespace: 'ns', status: ['queued', 'bogus'] }],
    ['namespace []', { namespace: [] }],
    ['sort bogus', { namespace: 'ns', sort: 'hits' }],
    ['perPage 0', { namespace: 'ns', perPage: 0 }],
    ['perPage 101', { namespace: 'ns', perPage: 101 }],
    ['page 0', { namespace: 'ns', page: 0 }],
    ['since NaN', { namespace: 'ns', since: Number.NaN }],
    ['function ""', { namespace: 'ns', function: '' }],
    ['null', null],
  ]
  for (const [why, query] of bad) {
    t.equal(
      codeOf(() => normalizeComputationQuery(query as ComputationQuery)),
      'CM_ERR_INVALID_ARGUMENT',
      why,
    )
  }
})

t.test('normalizeCacheQuery', async (t) => {
  const q = normalizeCacheQuery({ namespace: 'ns', sort: '-hits', version: null })
  t.same(q.sort, { field: 'hits', descending: true })
  t.equal(q.version, null, 'version null is a filter')
  t.equal(normalizeCacheQuery({ namespace: 'ns' }).version, undefined, 'absent version: no filter')
  t.equal(
    codeOf(() => normalizeCacheQuery({ namespace: 'ns', version: 3 as unknown as string })),
    'CM_ERR_INVALID_ARGUMENT',
  )
  t.equal(
    codeOf(() => normalizeCacheQuery({ namespace: 'ns', sort: 'updatedAt' as 'hits' })),
    'CM_ERR_INVALID_ARGUMENT',
  )
})

t.test('validateInvalidateCriteria', async (t) => {
  for (const good of [
    { all: true },
    { function: 'f' },
    { tag: 't', version: null },
    { function: 'f', all: false },
  ]) {
    t.equal(
      codeOf(() => validateInvalidateCriteria(good)),
      undefined,
      JSON.stringify(good),
    )
  }
  for (const bad of [{}, { all: false }, { all: true, tag: 't' }, { tag: '' }, { $where: '1' }, null]) {
    t.equal(
      codeOf(() => validateInvalidateCriteria(bad)),
      'CM_ERR_INVALID_ARGUMENT',
      JSON.stringify(bad),
    )
  }
})

t.test('validateCacheGetOptions', async (t) => {
  for (const good of [undefined, {}, { touch: false }]) {
    t.equal(
      codeOf(() => validateCacheGetOptions(good)),
      undefined,
      JSON.stringify(good) ?? 'undefined',
    )
  }
  for (const bad of [null, 'x', { touch: 1 }, { refresh: true }]) {
    t.equal(
      codeOf(() => validateCacheGetOptions(bad)),
      'CM_ERR_INVALID_ARGUMENT',
      JSON.stringify(bad),
    )
  }
})

t.test('normalizeFindExpiredOptions', async (t) => {
  t.same(normalizeFindExpiredOptions(undefined), { limit: 100 }, 'default 100')
  t.same(normalizeFindExpiredOptions({}), { limit: 100 })
  t.same(normalizeFindExpiredOptions({ limit: 1000 }), { limit: 1000 })
  for (const bad of [null, 'x', { limit: 0 }, { limit: 1001 }, { limit: 2.5 }, { limit: '5' }]) {
    t.equal(
      codeOf(() => normalizeFindExpiredOptions(bad)),
      'CM_ERR_INVALID_ARGUMENT',
      JSON.stringify(bad),
    )
  }
})
