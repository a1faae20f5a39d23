import type { DocumentStore, Store } from '@comp-manager/core'
import type { Test } from 'tap'
import { NS_A, NS_B } from '../fixtures.js'
import { expectCode, type Harness } from '../harness.js'

const docsOf = (store: Store): DocumentStore => {
  if (store.documents === undefined) throw new Error('store.documents is undefined')
  return store.documents
}

/** The document port: create, compare-and-set, races, listing order and paging, bad input. */
export function documents(t: Test, h: Harness): void {
  t.test('create, read, replace by revision, delete', (t) => lifecycle(t, h))
  t.test('concurrent replaces of one revision: exactly one wins', (t) => races(t, h))
  t.test('list: by kind, namespace filter, ordered, keyset pages', (t) => listing(t, h))
  t.test('bad input: CM_ERR_INVALID_ARGUMENT / CM_ERR_VALUE_TOO_LARGE', (t) => badInput(t, h))
}

async function lifecycle(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const docs = docsOf(store)
  t.equal(await docs.get('webhook', NS_A, 'w1'), null)
  const created = await docs.put(
    { kind: 'webhook', namespace: NS_A, id: 'w1', data: { url: 'x', n: 1 } },
    null,
  )
  t.equal(created.rev, 1)
  t.same(created.data, { url: 'x', n: 1 })
  await expectCode(
    t,
    () => docs.put({ kind: 'webhook', namespace: NS_A, id: 'w1', data: {} }, null),
    'CM_ERR_CONFLICT',
    'a second create',
  )
  const replaced = await docs.put(
    { kind: 'webhook', namespace: NS_A, id: 'w1', data: { 'a.b': { $x: 2 } } },
    1,
  )
  t.equal(replaced.rev, 2)
  const read = await docs.get('webhook', NS_A, 'w1')
  t.same(read?.data, { 'a.b': { $x: 2 } }, 'keys with dots and $ round-trip')
  t.equal(read?.rev, 2)
  await expectCode(
    t,
    () => docs.put({ kind: 'webhook', namespace: NS_A, id: 'w1', data: {} }, 1),
    'CM_ERR_CONFLICT',
    'a replace of an old revision',
  )
  t.equal(await docs.get('webhook', NS_B, 'w1'), null, 'another namespace does not see it')
  t.equal(await docs.get('other', NS_A, 'w1'), null, 'another kind does not see it')
  t.equal(await docs.delete('webhook', NS_A, 'w1'), true)
  t.equal(await docs.delete('webhook', NS_A, 'w1'), false)
  t.equal(await docs.get('webhook', NS_A, 'w1'), null)
}

async function races(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const docs = docsOf(store)
  await docs.put({ kind: 'counter', namespace: NS_A, id: 'c', data: { n: 0 } }, null)
  const attempts = await Promise.allSettled(
    Array.from({ length: 8 }, (_, i) =>
      docs.put({ kind: 'counter', namespace: NS_A, id: 'c', data: { n: i } }, 1),
    ),
  )
  t.equal(attempts.filter((a) => a.status === 'fulfilled').length, 1, 'one winner')
  const losers = attempts.filter((a) => a.status === 'rejected') as PromiseRejectedResult[]
  t.ok(
    losers.every((l) => (l.reason as { code?: string }).code === 'CM_ERR_CONFLICT'),
    'the others conflict',
  )
  const creates = await Promise.allSettled(
    Array.from({ length: 8 }, () =>
      docs.put({ kind: 'counter', namespace: NS_A, id: 'new', data: {} }, null),
    ),
  )
  t.equal(creates.filter((a) => a.status === 'fulfilled').length, 1, 'one create wins')
}

async function listing(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const docs = docsOf(store)
  for (const [ns, id] of [
    [NS_B, 'a'],
    [NS_A, 'c'],
    [NS_A, 'a'],
    [NS_A, 'b'],
  ] as const)
    await docs.put({ kind: 'webhook', namespace: ns, id, data: { id } }, null)
  await docs.put({ kind: 'other', namespace: NS_A, id: 'z', data: {} }, null)
  const all = await docs.list('webhook')
  t.same(
    all.map((d) => `${d.namespace}/${d.id}`),
    [`${NS_A}/a`, `${NS_A}/b`, `${NS_A}/c`, `${NS_B}/a`],
  )
  t.same(
    (await docs.list('webhook', { namespace: NS_B })).map((d) => d.id),
    ['a'],
  )
  const first = await docs.list('webhook', { limit: 2 })
  const last = first.at(-1)!
  const rest = await docs.list('webhook', { after: { namespace: last.namespace, id: last.id } })
  t.same([...first, ...rest], all, 'keyset pages: nothing lost or repeated')
}

async function badInput(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const docs = docsOf(store)
  const put =
    (input: unknown, rev: unknown = null) =>
    () =>
      docs.put(input as never, rev as never)
  await expectCode(
    t,
    put({ kind: 'Bad Kind', namespace: NS_A, id: 'x', data: {} }),
    'CM_ERR_INVALID_ARGUMENT',
    'kind',
  )
  await expectCode(
    t,
    put({ kind: 'k', namespace: 'no spaces!', id: 'x', data: {} }),
    'CM_ERR_INVALID_ARGUMENT',
    'namespace',
  )
  await expectCode(t, put({ kind: 'k', namespace: NS_A, id: '', data: {} }), 'CM_ERR_INVALID_ARGUMENT', 'id')
  await expectCode(
    t,
    put({ kind: 'k', namespace: NS_A, id: 'x', data: [] }),
    'CM_ERR_INVALID_ARGUMENT',
    'data',
  )
  await expectCode(
    t,
    put({ kind: 'k', namespace: NS_A, id: 'x', data: {} }, 0),
    'CM_ERR_INVALID_ARGUMENT',
    'rev 0',
  )
  await expectCode(
    t,
    put({ kind: 'k', namespace: NS_A, id: 'x', data: JSON.parse('{"__proto__":{"polluted":1}}') }),
    'CM_ERR_INVALID_ARGUMENT',
    'a __proto__ key',
  )
  await expectCode(
    t,
    put({ kind: 'k', namespace: NS_A, id: 'x', data: { big: 'x'.repeat(300 * 1024) } }),
    'CM_ERR_VALUE_TOO_LARGE',
    'oversize data',
  )
  await expectCode(t, () => docs.list('k', { limit: 0 }), 'CM_ERR_INVALID_ARGUMENT', 'limit 0')
  await expectCode(
    t,
    () => docs.list('k', { $where: 1 } as never),
    'CM_ERR_INVALID_ARGUMENT',
    'unknown option',
  )
}
