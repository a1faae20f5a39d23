import type { Test } from 'tap'
import { cacheInput, claimInput, computationInput, NS_A } from '../fixtures.js'
import { canonicalJson, expectCode, type Harness } from '../harness.js'
import { cacheCases, computationCases } from './bad-input-cases.js'

/** JSON text whose keys look like MongoDB operators, paths and prototype slots. */
const trickyJson =
  '{"$where":"sleep(1000)","$gt":"","a.b":{"$ne":null},"__proto__":{"polluted":true},' +
  '"constructor":{"prototype":{"polluted":true}},"nested":[{"$set":{"status":"finished"}}]}'

/** Wrong types, missing fields, bad strings: `CM_ERR_INVALID_ARGUMENT`, never a driver error. */
export function badInput(t: Test, h: Harness): void {
  t.test('computations: every bad input → CM_ERR_INVALID_ARGUMENT, nothing written', (t) =>
    computationsRejected(t, h),
  )
  t.test('cache: every bad input → CM_ERR_INVALID_ARGUMENT, nothing written', (t) => cacheRejected(t, h))
  t.test('operator-looking and __proto__ keys are stored as plain data', (t) => trickyKeys(t, h))
  t.test('operator-looking strings are matched literally', (t) => operatorStrings(t, h))
  t.test('the longest allowed strings are accepted', (t) => longestStrings(t, h))
}

async function computationsRejected(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  for (const [why, call] of computationCases())
    await expectCode(t, () => call(store), 'CM_ERR_INVALID_ARGUMENT', why)
  t.equal((await store.computations.list({ namespace: NS_A })).total, 0, 'no record was written')
}

async function cacheRejected(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  for (const [why, call] of cacheCases())
    await expectCode(t, () => call(store), 'CM_ERR_INVALID_ARGUMENT', why)
  t.same(await store.cache.stats(NS_A), { entries: 0, bytes: 0 }, 'no entry was written')
}

async function trickyKeys(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const tricky = () => JSON.parse(trickyJson) as Record<string, unknown>
  const check = (value: unknown, what: string) => {
    t.equal(canonicalJson(value), canonicalJson(tricky()), `${what}: same data`)
    const object = value as object
    t.ok(Object.hasOwn(object, '__proto__'), `${what}: __proto__ is an own key`)
    t.equal(Object.getPrototypeOf(object), Object.prototype, `${what}: prototype untouched`)
    t.equal(({} as Record<string, unknown>).polluted, undefined, `${what}: Object.prototype not polluted`)
  }
  const record = await store.computations.create(computationInput({ args: tricky() }))
  check((await store.computations.get(NS_A, record.id))?.args, 'create args')
  const claimed = await store.computations.claim(claimInput({ args: tricky() }))
  check((await store.computations.get(NS_A, claimed.record.id))?.args, 'claim args')
  await store.computations.update(NS_A, record.id, 'queued', { checkpoint: tricky() })
  check((await store.computations.get(NS_A, record.id))?.checkpoint, 'checkpoint')
  const entry = cacheInput({ args: tricky(), value: trickyJson })
  await store.cache.set(entry)
  const stored = await store.cache.get(NS_A, entry.key)
  check(stored?.args, 'cache args')
  t.equal(stored?.value, trickyJson, 'cache value text unchanged')
}

async function operatorStrings(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const plain = await store.computations.create(computationInput())
  const odd = await store.computations.create(
    computationInput({ function: '$where', functionFull: '{"$ne":null}', hash: '{"$gt":""}' }),
  )
  const ids = async (query: object) =>
    (await store.computations.list({ namespace: NS_A, ...query })).data.map((r) => r.id)
  t.same(await ids({ function: '$where' }), [odd.id], 'function "$where"')
  t.same(await ids({ function: '{"$ne":null}' }), [odd.id], 'functionFull that looks like an operator')
  t.same(await ids({ hash: '{"$gt":""}' }), [odd.id], 'hash that looks like an operator')
  t.equal((await store.computations.getByHash(NS_A, '{"$gt":""}'))?.id, odd.id, 'getByHash')
  t.equal(await store.computations.getByHash(NS_A, '{"$ne":null}'), null, 'no operator semantics')
  t.ok(await store.computations.get(NS_A, plain.id), 'the plain record is untouched')
  await store.cache.set(cacheInput({ key: '{"$ne":null}', tags: ['$in'], value: '1' }))
  t.equal((await store.cache.get(NS_A, '{"$ne":null}'))?.value, '1', 'cache key that looks like an operator')
  t.equal(await store.cache.get(NS_A, '{"$gt":""}'), null, 'no operator semantics in cache keys')
  t.equal(await store.cache.invalidate(NS_A, { tag: '$in' }), 1, 'tag "$in" matched literally')
}

async function longestStrings(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const record = await store.computations.create(
    computationInput({
      function: 'f'.repeat(512),
      hash: 'h'.repeat(256),
      namespace: `n${'s'.repeat(127)}`,
    }),
  )
  t.equal(record.function.length, 512, 'a function name of 512 characters is accepted')
  t.equal(record.hash.length, 256, 'a hash of 256 characters is accepted')
  t.equal(record.namespace.length, 128, 'a namespace of 128 characters is accepted')
}
