import t from 'tap'
import { MemoryStore } from '../src/index.js'
import { CursorCodec } from '../src/store/cursor.js'
import { GuardedComputationStore } from '../src/store/guard.js'
import { MemoryComputationStore } from '../src/store/memory-computation-store.js'

const NS = 'ns-a'
let seq = 0
const input = (fn = 'f') => ({
  namespace: NS,
  function: fn,
  functionFull: `mod.${fn}`,
  args: [seq],
  hash: `h${seq++}`,
  hashAlgorithm: 'sha256',
})

async function seeded(count: number): Promise<MemoryStore> {
  let now = 1_000
  const store = new MemoryStore({ clock: () => Math.floor(now++ / 3) })
  for (let i = 0; i < count; i++) await store.computations.create(input(i % 2 === 0 ? 'even' : 'odd'))
  return store
}

async function codeOf(action: Promise<unknown>): Promise<unknown> {
  try {
    await action
    return 'resolved'
  } catch (err) {
    return [(err as { code?: string }).code, (err as { details?: { field?: string } }).details?.field]
  }
}

t.test('walking by cursor sees every record once, in order, for each sort', async (t) => {
  const store = await seeded(23)
  for (const sort of ['-createdAt', 'createdAt', '-updatedAt', 'updatedAt'] as const) {
    const byPage = (await store.computations.list({ namespace: NS, sort, perPage: 100 })).data.map(
      (r) => r.id,
    )
    const walked: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = await store.computations.list({
        namespace: NS,
        sort,
        perPage: 5,
        ...(cursor ? { cursor } : {}),
      })
      t.equal(page.page, pages === 0 ? 1 : null, 'page number only without a cursor')
      walked.push(...page.data.map((r) => r.id))
      cursor = page.nextCursor ?? undefined
      pages++
    } while (cursor !== undefined)
    t.equal(pages, 5, `${sort}: ceil(23 / 5) pages`)
    t.same(walked, byPage, `${sort}: the same order as one big page`)
  }
})

t.test('a filtered walk keeps its filter', async (t) => {
  const store = await seeded(12)
  const first = await store.computations.list({ namespace: NS, function: 'even', perPage: 4 })
  t.equal(first.total, 6)
  const second = await store.computations.list({
    namespace: NS,
    function: 'even',
    perPage: 4,
    cursor: first.nextCursor!,
  })
  t.equal(second.data.length, 2)
  t.equal(second.nextCursor, null, 'the last page has no cursor')
  t.ok([...first.data, ...second.data].every((r) => r.function === 'even'))
})

t.test('forged, malformed, stale or foreign cursors → CM_ERR_INVALID_ARGUMENT (field cursor)', async (t) => {
  const store = await seeded(6)
  const { nextCursor } = await store.computations.list({ namespace: NS, perPage: 2 })
  const cursor = nextCursor!
  const [payload, signature] = cursor.split('.') as [string, string]
  const body = JSON.parse(Buffer.from(payload, 'base64url').toString())
  const reencoded = (b: unknown) => `${Buffer.from(JSON.stringify(b)).toString('base64url')}.${signature}`
  const otherSecret = new CursorCodec('another secret').encode(body.q, body.k)
  const cases: [string, unknown, string?][] = [
    ['garbage', 'not a cursor'],
    ['empty', ''],
    ['a number', 42],
    ['an operator object', { $gt: '' }],
    ['huge', 'a'.repeat(100_000)],
    ['payload edited, signature kept', reencoded({ ...body, k: [0, 'zzz'] })],
    ['signature flipped', `${payload}.${signature.slice(0, -2)}AA`],
    ['signed with another secret', otherSecret],
    ['another sort', cursor, '-updatedAt'],
  ]
  for (const [label, bad, sort] of cases) {
    const query = {
      namespace: NS,
      perPage: 2,
      cursor: bad as string,
      ...(sort ? { sort: sort as 'updatedAt' } : {}),
    }
    t.same(await codeOf(store.computations.list(query)), ['CM_ERR_INVALID_ARGUMENT', 'cursor'], label)
  }
  t.same(
    await codeOf(store.computations.list({ namespace: NS, function: 'odd', cursor })),
    ['CM_ERR_INVALID_ARGUMENT', 'cursor'],
    'from another filter',
  )
  const stale = new CursorCodec()
  const staleCursor = stale.encode(body.q, body.k).replace(/^[^.]+/, (p) => {
    const b = JSON.parse(Buffer.from(p, 'base64url').toString())
    return Buffer.from(JSON.stringify({ ...b, v: 0 })).toString('base64url')
  })
  t.same(
    await codeOf(store.computations.list({ namespace: NS, perPage: 2, cursor: staleCursor })),
    ['CM_ERR_INVALID_ARGUMENT', 'cursor'],
    'a stale (re-signed, other version) cursor is refused too',
  )
  t.same(
    await codeOf(store.computations.list({ namespace: NS, page: 2, cursor })),
    ['CM_ERR_INVALID_ARGUMENT', 'cursor'],
    'page and cursor together',
  )
  t.same(
    await codeOf(store.computations.list({ namespace: NS, perPage: 2, cursor })),
    'resolved',
    'the real one works',
  )
})

t.test('a cursor is accepted by another guard with the same secret, refused with another', async (t) => {
  const backend = new MemoryComputationStore({ clock: () => 5, maxValueBytes: 1000, assertOpen: () => {} })
  const store = new GuardedComputationStore(backend, { cursorSecret: 'shared' })
  for (let i = 0; i < 4; i++) await store.create(input())
  const { nextCursor } = await store.list({ namespace: NS, perPage: 2 })
  const same = new GuardedComputationStore(backend, { cursorSecret: 'shared' })
  t.equal((await same.list({ namespace: NS, perPage: 2, cursor: nextCursor! })).data.length, 2)
  const other = new GuardedComputationStore(backend, { cursorSecret: 's3cret' })
  t.same(await codeOf(other.list({ namespace: NS, perPage: 2, cursor: nextCursor! })), [
    'CM_ERR_INVALID_ARGUMENT',
    'cursor',
  ])
})

t.test('counts are exact up to countLimit, then a lower bound', async (t) => {
  const backend = new MemoryComputationStore({ clock: () => 5, maxValueBytes: 1000, assertOpen: () => {} })
  const store = new GuardedComputationStore(backend, { countLimit: 3 })
  for (let i = 0; i < 3; i++) await store.create(input())
  t.hasStrict(await store.list({ namespace: NS }), { total: 3, totalIsLowerBound: false, pages: 1 })
  await store.create(input())
  t.hasStrict(await store.list({ namespace: NS, perPage: 2 }), {
    total: 3,
    totalIsLowerBound: true,
    pages: 2,
  })
  t.equal(
    (await store.list({ namespace: NS, perPage: 100 })).data.length,
    4,
    'the data is not bounded by the count',
  )
})
