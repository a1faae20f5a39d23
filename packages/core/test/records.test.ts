import fc from 'fast-check'
import t from 'tap'
import { type Computation, SCHEMA_VERSION } from '../src/domain/index.js'
import { DEFAULT_LIST_POLICY, normalizeComputationQuery } from '../src/store/queries.js'
import {
  applyHeartbeat,
  applyPatch,
  assertValueSize,
  buildCacheEntryMeta,
  buildClaimedComputation,
  buildComputation,
  type ClaimInput,
  decideClaim,
  isCacheEntryExpired,
  isLeaseExpired,
  isLiveStatus,
  markLost,
  type NewComputation,
  newId,
  notFound,
  pageOf,
  takeQueued,
  utf8Length,
} from '../src/store-kit.js'

const NOW = 1_700_000_000_000

const codeOf = (fn: () => unknown): unknown => {
  try {
    fn()
    return undefined
  } catch (err) {
    return (err as { code?: unknown }).code
  }
}

const input: NewComputation = {
  namespace: 'ns',
  function: 'fib',
  functionFull: 'math/fib',
  args: { n: 1 },
  hash: 'h1',
  hashAlgorithm: 'sha256',
}

const claim: ClaimInput = {
  namespace: 'ns',
  function: 'fib',
  functionFull: 'math/fib',
  args: { n: 1 },
  hash: 'h1',
  hashAlgorithm: 'sha256',
  owner: 'w1',
  pid: 7,
  host: 'box',
  leaseMs: 1000,
}

/** A record in `status` (timestamps as a run that got there would have them). */
function recordIn(status: Computation['status'], overrides: Partial<Computation> = {}): Computation {
  const base = buildComputation(
    { ...input, status: status === 'queued' ? 'queued' : 'started' },
    { id: 'id-1', now: NOW },
  )
  return {
    ...base,
    status,
    leaseUntil: status === 'started' || status === 'paused' ? NOW + 1000 : null,
    ...overrides,
  }
}

t.test('newId', async (t) => {
  t.test('is a version-7 UUID carrying the millisecond', async (t) => {
    const id = newId(NOW)
    t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    t.equal(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16), NOW, 'timestamp in the first 48 bits')
  })

  t.test('ids of later milliseconds sort later', async (t) => {
    const ids = Array.from({ length: 50 }, (_, i) => newId(NOW + i * 7))
    t.same([...ids].sort(), ids)
  })

  t.test('ids of one millisecond sort in the order they were made', async (t) => {
    const ids = Array.from({ length: 1000 }, () => newId(NOW + 5))
    t.same([...ids].sort(), ids, 'sorted = creation order')
    t.equal(new Set(ids).size, ids.length, 'unique')
  })

  t.test('still unique past 4096 ids in one millisecond', async (t) => {
    const ids = Array.from({ length: 5000 }, () => newId(NOW + 9))
    t.equal(new Set(ids).size, ids.length)
  })

  t.test('takes fractional or negative times without breaking the layout', async (t) => {
    t.match(newId(NOW + 0.7), /^[0-9a-f-]{36}$/)
    t.match(newId(-5), /^00000000-0000-7/)
  })
})

t.test('utf8Length', async (t) => {
  const samples = ['', 'abc', 'é', '€', '😀', '👩‍👩‍👧', 'مرحبا', '\u0000', '\ud800', '\udc00x', 'a\ud83d']
  for (const s of samples) t.equal(utf8Length(s), Buffer.byteLength(s, 'utf8'), JSON.stringify(s))
  const sameAsBuffer = (s: string) => utf8Length(s) === Buffer.byteLength(s, 'utf8')
  // Any code point (1 to 4 bytes) …
  const codePoints = fc
    .array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 40 })
    .map((points) => String.fromCodePoint(...points))
  fc.assert(fc.property(codePoints, sameAsBuffer), { numRuns: 500 })
  // … and any UTF-16 sequence, lone surrogates included.
  const utf16 = fc
    .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 })
    .map((codes) => String.fromCharCode(...codes))
  fc.assert(fc.property(utf16, sameAsBuffer), { numRuns: 500 })
  t.pass('matches Buffer.byteLength on arbitrary text, lone surrogates included')
})

t.test('pageOf', async (t) => {
  const q = normalizeComputationQuery({ namespace: 'a', perPage: 2 })
  const key = (n: number): [number, string] => [n, String(n)]
  const codec = DEFAULT_LIST_POLICY.cursors
  t.hasStrict(pageOf({ rows: [1, 2], total: 7 }, q, codec, key), {
    data: [1, 2],
    page: 1,
    perPage: 2,
    total: 7,
    pages: 4,
    nextCursor: null,
    totalIsLowerBound: false,
  })
  const more = pageOf({ rows: [1, 2, 3], total: 7 }, q, codec, key)
  t.same(more.data, [1, 2], 'the extra row only tells there is a next page')
  t.same(codec.decode(more.nextCursor, q.fingerprint, 1), [2, '2'], 'the cursor is the key of the last row')
  t.same(pageOf({ rows: [], total: 20 }, { ...q, perPage: 20 }, codec, key).pages, 1, 'exact multiple')
  const capped = pageOf({ rows: [], total: 10_001 }, q, codec, key)
  t.hasStrict(capped, { total: 10_000, totalIsLowerBound: true, pages: 5000 }, 'a count past the bound')
})

t.test('buildComputation', async (t) => {
  const queued = buildComputation(input, { id: 'a', now: NOW })
  t.hasStrict(queued, {
    id: 'a',
    name: 'fib',
    attempt: 1,
    status: 'queued',
    createdAt: NOW,
    updatedAt: NOW,
    startedAt: null,
    heartbeatAt: null,
    leaseUntil: null,
    owner: null,
    schemaVersion: SCHEMA_VERSION,
  })
  const started = buildComputation(
    { ...input, status: 'started', name: 'Fib', leaseUntil: NOW + 5 },
    { id: 'b', now: NOW, attempt: 3 },
  )
  t.hasStrict(started, { name: 'Fib', attempt: 3, startedAt: NOW, heartbeatAt: NOW, leaseUntil: NOW + 5 })
  t.equal(
    buildComputation({ ...input, args: undefined }, { id: 'c', now: NOW }).args,
    null,
    'absent args → null',
  )
})

t.test('buildClaimedComputation: started, leased for leaseMs', async (t) => {
  const record = buildClaimedComputation({ ...claim, message: 'go' }, { id: 'x', now: NOW, attempt: 2 })
  t.hasStrict(record, {
    status: 'started',
    attempt: 2,
    owner: 'w1',
    pid: 7,
    host: 'box',
    message: 'go',
    startedAt: NOW,
    leaseUntil: NOW + 1000,
  })
})

t.test('isLiveStatus and isLeaseExpired', async (t) => {
  t.same((['queued', 'started', 'paused', 'finished', 'failed', 'lost'] as const).filter(isLiveStatus), [
    'started',
    'paused',
  ])
  const live = recordIn('started', { leaseUntil: NOW + 10 })
  t.equal(isLeaseExpired(live, NOW + 9), false, 'before leaseUntil')
  t.equal(isLeaseExpired(live, NOW + 10), true, 'at leaseUntil')
  t.equal(isLeaseExpired(recordIn('paused', { leaseUntil: NOW }), NOW), true, 'paused runs expire too')
  t.equal(isLeaseExpired(recordIn('started', { leaseUntil: null }), NOW * 2), false, 'no lease, never')
  t.equal(isLeaseExpired(recordIn('queued', { leaseUntil: NOW }), NOW + 1), false, 'queued, never')
  t.equal(isLeaseExpired(recordIn('finished', { leaseUntil: NOW }), NOW + 1), false, 'ended, never')
})

t.test('decideClaim', async (t) => {
  t.same(
    decideClaim(null, claim, NOW),
    { action: 'insert', attempt: 1, previous: null, expire: false },
    'new hash',
  )
  const queued = recordIn('queued')
  t.same(decideClaim(queued, claim, NOW), { action: 'take-queued', record: queued }, 'queued')
  const live = recordIn('started', { attempt: 2, leaseUntil: NOW + 5 })
  t.same(decideClaim(live, claim, NOW + 4), { action: 'lose', record: live }, 'live')
  t.same(
    decideClaim(live, claim, NOW + 5),
    { action: 'insert', attempt: 3, previous: live, expire: true },
    'expired lease',
  )
  const policies = [
    ['finished', undefined, false],
    ['finished', 'rerun', true],
    ['finished', 'rerun-failed', false],
    ['failed', 'return', false],
    ['failed', 'rerun-failed', true],
    ['lost', 'rerun-failed', true],
    ['lost', 'rerun', true],
  ] as const
  for (const [status, onTerminal, reruns] of policies) {
    const ended = recordIn(status)
    const decision = decideClaim(ended, { ...claim, onTerminal }, NOW)
    t.same(
      decision,
      reruns
        ? { action: 'insert', attempt: 2, previous: ended, expire: false }
        : { action: 'lose', record: ended },
      `${status} with ${onTerminal ?? 'default'}`,
    )
  }
})

t.test('takeQueued', async (t) => {
  const queued = recordIn('queued', { message: 'waiting', name: 'Queued' })
  const taken = takeQueued(queued, claim, NOW + 50)
  t.hasStrict(taken, {
    id: queued.id,
    status: 'started',
    name: 'Queued',
    owner: 'w1',
    message: 'waiting',
    startedAt: NOW + 50,
    heartbeatAt: NOW + 50,
    leaseUntil: NOW + 1050,
    updatedAt: NOW + 50,
    createdAt: NOW,
  })
  t.equal(
    takeQueued(queued, { ...claim, message: 'mine now' }, NOW).message,
    'mine now',
    "the claim's message wins",
  )
  t.equal(queued.status, 'queued', 'the input record is not mutated')
})

t.test('markLost', async (t) => {
  const live = recordIn('started')
  const lost = markLost(live, NOW + 2000)
  t.hasStrict(lost, { status: 'lost', finishedAt: NOW + 2000, leaseUntil: null, updatedAt: NOW + 2000 })
  t.match(lost.message, /lease expired/, 'explains itself when there was no message')
  t.equal(markLost(recordIn('paused', { message: 'mine' }), NOW).message, 'mine', 'keeps an existing message')
  t.equal(
    codeOf(() => markLost(recordIn('finished'), NOW)),
    'CM_ERR_INVALID_TRANSITION',
    'not from finished',
  )
  t.equal(
    codeOf(() => markLost(recordIn('queued'), NOW)),
    'CM_ERR_INVALID_TRANSITION',
    'not from queued',
  )
})

t.test('applyHeartbeat', async (t) => {
  const live = recordIn('started', { message: 'm', progress: { fraction: 0.1 } })
  const beat = applyHeartbeat(live, { leaseUntil: NOW + 9000 }, NOW + 10)
  t.hasStrict(beat, {
    leaseUntil: NOW + 9000,
    heartbeatAt: NOW + 10,
    updatedAt: NOW + 10,
    message: 'm',
    progress: { fraction: 0.1 },
  })
  const full = applyHeartbeat(live, { leaseUntil: 1, progress: null, message: null }, NOW)
  t.hasStrict(full, { progress: null, message: null }, 'null clears')
  t.equal(applyHeartbeat(recordIn('paused'), { leaseUntil: 1 }, NOW).status, 'paused')
  for (const status of ['queued', 'finished', 'failed', 'lost'] as const) {
    t.equal(
      codeOf(() => applyHeartbeat(recordIn(status), { leaseUntil: 1 }, NOW)),
      'CM_ERR_CONFLICT',
      status,
    )
  }
})

t.test('applyPatch', async (t) => {
  const live = recordIn('started', { message: 'before' })
  t.equal(
    codeOf(() => applyPatch(live, 'queued', {}, NOW)),
    'CM_ERR_CONFLICT',
    'wrong expected status',
  )
  t.equal(
    codeOf(() => applyPatch(recordIn('queued'), 'queued', { status: 'paused' }, NOW)),
    'CM_ERR_INVALID_TRANSITION',
    'not an edge (queued → paused)',
  )
  const patched = applyPatch(
    live,
    'started',
    { message: null, progress: { fraction: 1 }, owner: undefined },
    NOW + 1,
  )
  t.hasStrict(patched, { message: null, progress: { fraction: 1 }, owner: live.owner, updatedAt: NOW + 1 })
  t.equal(live.message, 'before', 'the input record is not mutated')

  const paused = applyPatch(live, 'started', { status: 'paused' }, NOW + 2)
  t.hasStrict(paused, { status: 'paused', pausedAt: NOW + 2, startedAt: live.startedAt })
  const resumed = applyPatch(paused, 'paused', { status: 'started' }, NOW + 3)
  t.equal(resumed.startedAt, live.startedAt, 'resuming keeps the first startedAt')
  const started = applyPatch(recordIn('queued'), 'queued', { status: 'started' }, NOW + 4)
  t.equal(started.startedAt, NOW + 4, 'queued → started stamps startedAt')
  const done = applyPatch(live, 'started', { status: 'finished', leaseUntil: NOW + 99 }, NOW + 5)
  t.hasStrict(done, { status: 'finished', finishedAt: NOW + 5, leaseUntil: null })
  t.equal(
    applyPatch(live, 'started', { status: 'started' }, NOW).status,
    'started',
    'same status: plain update',
  )
})

t.test('buildCacheEntryMeta and isCacheEntryExpired', async (t) => {
  const meta = buildCacheEntryMeta(
    {
      namespace: 'ns',
      key: 'k',
      function: 'f',
      functionFull: 'm/f',
      algorithm: 'sha256',
      value: '"😀é"',
      tags: ['b', 'a', 'b'],
      ttlMs: 100,
    },
    NOW,
  )
  t.hasStrict(meta, {
    size: 8,
    tags: ['b', 'a'],
    version: null,
    args: null,
    createdAt: NOW,
    expiresAt: NOW + 100,
    hits: 0,
    lastHitAt: null,
  })
  t.notOk('value' in meta, 'no value in the meta')
  t.equal(isCacheEntryExpired(meta, NOW + 99), false, 'before expiresAt')
  t.equal(isCacheEntryExpired(meta, NOW + 100), true, 'at expiresAt')
  t.equal(isCacheEntryExpired({ expiresAt: null }, Number.MAX_SAFE_INTEGER), false, 'no TTL')
  const forever = buildCacheEntryMeta(
    { namespace: 'ns', key: 'k', function: 'f', functionFull: 'f', algorithm: 'a', value: '', ttlMs: null },
    NOW,
  )
  t.equal(forever.expiresAt, null)
})

t.test('assertValueSize and notFound', async (t) => {
  t.doesNotThrow(() => assertValueSize(10, 10), 'at the limit')
  try {
    assertValueSize(11, 10)
    t.fail('should throw')
  } catch (err) {
    t.hasStrict(err, { code: 'CM_ERR_VALUE_TOO_LARGE', statusCode: 413, details: { size: 11, limit: 10 } })
  }
  t.equal(
    codeOf(() => notFound('computation', 'x')),
    'CM_ERR_NOT_FOUND',
  )
})
