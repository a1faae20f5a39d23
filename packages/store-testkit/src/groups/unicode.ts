import type { Test } from 'tap'
import {
  cacheInput,
  claimInput,
  computationInput,
  NS_A,
  unicodeSamples,
  unicodeText,
  utf8Bytes,
} from '../fixtures.js'
import { type Harness, sameJson } from '../harness.js'

/** Emoji, astral characters and right-to-left text survive every field; `size` counts UTF-8 bytes. */
export function unicode(t: Test, h: Harness): void {
  t.test('computation text fields and args round-trip', (t) => computationFields(t, h))
  t.test('messages, progress notes, errors and checkpoints', (t) => messagesAndCheckpoints(t, h))
  t.test('cache values, tags and versions; size is the UTF-8 byte length', (t) => cacheValues(t, h))
  t.test('unicode cache keys and hashes', (t) => keysAndHashes(t, h))
}

async function computationFields(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const args = {
    ...unicodeSamples,
    [unicodeSamples.emoji]: [unicodeSamples.arabic, { [unicodeSamples.hebrew]: unicodeSamples.astral }],
    ключ: 'значение',
  }
  const input = computationInput({
    name: `${unicodeSamples.emoji} ${unicodeSamples.arabic}`,
    function: 'π_σ',
    functionFull: `módulo/${unicodeSamples.cjk}.π_σ`,
    args,
    owner: unicodeSamples.hebrew,
    host: unicodeSamples.astral,
    message: unicodeText,
  })
  const record = await store.computations.create(input)
  const stored = await store.computations.get(NS_A, record.id)
  t.hasStrict(stored, {
    name: input.name,
    function: 'π_σ',
    functionFull: input.functionFull,
    owner: input.owner,
    host: input.host,
    message: unicodeText,
  })
  sameJson(t, stored?.args, args, 'args with unicode keys and values')
  const listed = await store.computations.list({ namespace: NS_A, function: input.functionFull })
  t.equal(listed.data[0]?.id, record.id, 'found by its unicode function name')
}

async function messagesAndCheckpoints(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const { record } = await store.computations.claim(claimInput({ message: unicodeSamples.mixed }))
  t.equal(record.message, unicodeSamples.mixed, 'claim message')
  const beat = await store.computations.heartbeat(NS_A, record.id, {
    leaseUntil: clock() + 1000,
    progress: { fraction: 0.5, note: unicodeSamples.emoji },
    message: unicodeSamples.arabic,
  })
  t.equal(beat.progress?.note, unicodeSamples.emoji, 'progress note')
  const failed = await store.computations.update(NS_A, record.id, 'started', {
    status: 'failed',
    error: { name: 'Error', message: unicodeSamples.hebrew, stack: unicodeText },
    checkpoint: { [unicodeSamples.cjk]: unicodeSamples.astral },
  })
  const stored = await store.computations.get(NS_A, record.id)
  t.same(stored, failed, 'stored as returned')
  t.equal(stored?.error?.message, unicodeSamples.hebrew)
  t.equal(stored?.message, unicodeSamples.arabic)
  sameJson(t, stored?.checkpoint, { [unicodeSamples.cjk]: unicodeSamples.astral }, 'checkpoint')
}

async function cacheValues(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const value = JSON.stringify({ text: unicodeText })
  const tags = ['标签', 'תג', '🏷️', 'ملصق']
  const input = cacheInput({ value, tags, version: 'v-ü', args: { q: unicodeSamples.astral } })
  const meta = await store.cache.set(input)
  t.equal(meta.size, utf8Bytes(value), 'size = UTF-8 bytes')
  t.not(meta.size, value.length, '(not UTF-16 units)')
  t.same(meta.tags, tags, 'tags')
  const entry = await store.cache.get(NS_A, input.key)
  t.equal(entry?.value, value, 'value')
  sameJson(t, entry?.args, { q: unicodeSamples.astral }, 'args')
  t.equal((await store.cache.list({ namespace: NS_A, tag: '🏷️' })).total, 1, 'list by emoji tag')
  t.equal((await store.cache.list({ namespace: NS_A, version: 'v-ü' })).total, 1, 'list by version')
  t.same(await store.cache.stats(NS_A), { entries: 1, bytes: utf8Bytes(value) }, 'stats bytes')
  t.equal(await store.cache.invalidate(NS_A, { tag: 'תג' }), 1, 'invalidate by RTL tag')
}

async function keysAndHashes(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const key = `clé-${unicodeSamples.emoji}`
  await store.cache.set(cacheInput({ key, value: '"ok"' }))
  t.equal((await store.cache.get(NS_A, key))?.value, '"ok"', 'cache key')
  const record = await store.computations.create(computationInput({ hash: `hash-${unicodeSamples.arabic}` }))
  t.equal((await store.computations.getByHash(NS_A, record.hash))?.id, record.id, 'computation hash')
}
