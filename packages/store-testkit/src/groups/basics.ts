import { SCHEMA_VERSION } from '@comp-manager/core'
import type { Test } from 'tap'
import { computationInput, NS_A, recordIn } from '../fixtures.js'
import { expectCode, expectTime, type Harness, hasComputationFields, sameJson } from '../harness.js'

/** create / get / getByHash / update / delete; every field round-trips; timestamps are stamped. */
export function basics(t: Test, h: Harness): void {
  t.test('create returns a queued record with every field set', (t) => createQueued(t, h))
  t.test('create with every optional field, status started', (t) => createStarted(t, h))
  t.test('get and getByHash', (t) => getAndGetByHash(t, h))
  t.test('getByHash returns the highest attempt', (t) => getByHashHighestAttempt(t, h))
  t.test('create refuses a hash that already has a run', (t) => createDuplicateHash(t, h))
  t.test('update changes fields and stamps updatedAt', (t) => updateFields(t, h))
  t.test('update records error and result, and null clears a field', (t) => updateErrorAndResult(t, h))
  t.test('update of an unknown id → CM_ERR_NOT_FOUND', (t) => updateUnknownId(t, h))
  t.test('delete', (t) => deleteRecord(t, h))
  t.test('results and inputs are copies', (t) => copies(t, h))
}

async function createQueued(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const input = computationInput()
  const record = await store.computations.create(input)
  hasComputationFields(t, record)
  t.type(record.id, 'string')
  t.ok(record.id.length > 0, 'id is not empty')
  t.hasStrict(record, {
    namespace: input.namespace,
    name: input.function,
    function: input.function,
    functionFull: input.functionFull,
    hash: input.hash,
    hashAlgorithm: input.hashAlgorithm,
    attempt: 1,
    status: 'queued',
    pid: null,
    host: null,
    owner: null,
    message: null,
    error: null,
    progress: null,
    result: null,
    checkpoint: null,
    startedAt: null,
    finishedAt: null,
    pausedAt: null,
    heartbeatAt: null,
    leaseUntil: null,
    schemaVersion: SCHEMA_VERSION,
  })
  sameJson(t, record.args, input.args, 'args round-trip')
  expectTime(t, h, record.createdAt, clock(), 'createdAt is the store time')
  t.equal(record.updatedAt, record.createdAt, 'updatedAt = createdAt on create')
}

async function createStarted(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const input = computationInput({
    name: 'Fibonacci of 30',
    status: 'started',
    owner: 'alice',
    pid: 1234,
    host: 'build-7',
    message: 'warming up',
    leaseUntil: clock() + 60_000,
  })
  const record = await store.computations.create(input)
  t.hasStrict(record, {
    name: 'Fibonacci of 30',
    status: 'started',
    owner: 'alice',
    pid: 1234,
    host: 'build-7',
    message: 'warming up',
    leaseUntil: input.leaseUntil,
  })
  expectTime(t, h, record.startedAt, clock(), 'startedAt stamped for a started record')
  expectTime(t, h, record.heartbeatAt, clock(), 'heartbeatAt stamped for a started record')
  t.same(await store.computations.get(NS_A, record.id), record, 'get returns the same record')
}

async function getAndGetByHash(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const record = await store.computations.create(computationInput())
  t.same(await store.computations.get(NS_A, record.id), record, 'get by id')
  t.same(await store.computations.getByHash(NS_A, record.hash), record, 'get by hash')
  t.equal(await store.computations.get(NS_A, 'no-such-id'), null, 'unknown id → null')
  t.equal(await store.computations.getByHash(NS_A, 'no-such-hash'), null, 'unknown hash → null')
}

async function getByHashHighestAttempt(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const first = await recordIn(store, 'failed')
  const input = {
    namespace: NS_A,
    function: first.function,
    functionFull: first.functionFull,
    args: first.args,
    hash: first.hash,
    hashAlgorithm: first.hashAlgorithm,
    owner: 'w',
    pid: 1,
    host: 'h',
    leaseMs: 1000,
    onTerminal: 'rerun' as const,
  }
  const second = await store.computations.claim(input)
  t.ok(second.won, 'rerun of a failed run wins')
  await store.computations.update(NS_A, second.record.id, 'started', { status: 'failed' })
  const third = await store.computations.claim(input)
  t.equal(third.record.attempt, 3, 'third attempt')
  const latest = await store.computations.getByHash(NS_A, first.hash)
  t.equal(latest?.id, third.record.id, 'getByHash → attempt 3')
  t.equal(latest?.attempt, 3)
}

async function createDuplicateHash(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const input = computationInput()
  await store.computations.create(input)
  await expectCode(t, () => store.computations.create({ ...input }), 'CM_ERR_DUPLICATE', 'same hash again')
  const page = await store.computations.list({ namespace: NS_A })
  t.equal(page.total, 1, 'nothing was inserted')
}

async function updateFields(t: Test, h: Harness): Promise<void> {
  const { store, clock } = await h.open(t)
  const record = await recordIn(store, 'started')
  clock.advance(1500)
  const patch = {
    message: 'half way',
    progress: { fraction: 0.5, note: 'step 5 of 10' },
    checkpoint: { step: 5, partial: [1, 2, 3], nested: { ok: true, none: null } },
    owner: 'bob',
    pid: 99,
    host: 'node-2',
    leaseUntil: clock() + 10_000,
    heartbeatAt: clock(),
  }
  const updated = await store.computations.update(NS_A, record.id, 'started', patch)
  hasComputationFields(t, updated)
  t.hasStrict(updated, {
    message: 'half way',
    progress: { fraction: 0.5, note: 'step 5 of 10' },
    owner: 'bob',
    pid: 99,
    host: 'node-2',
    leaseUntil: patch.leaseUntil,
    heartbeatAt: patch.heartbeatAt,
    status: 'started',
  })
  sameJson(t, updated.checkpoint, patch.checkpoint, 'checkpoint round-trips')
  expectTime(t, h, updated.updatedAt, clock(), 'updatedAt is the update time')
  t.equal(updated.createdAt, record.createdAt, 'createdAt unchanged')
  t.same(await store.computations.get(NS_A, record.id), updated, 'get sees the update')
}

async function updateErrorAndResult(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const record = await recordIn(store, 'started', { message: 'running' })
  const failed = await store.computations.update(NS_A, record.id, 'started', {
    status: 'failed',
    message: null,
    error: {
      name: 'RangeError',
      message: 'n too large',
      stack: 'RangeError: n too large\n    at fib',
      code: 'E_N',
    },
    result: { cacheKey: 'key-1', namespace: NS_A, size: 12 },
  })
  t.equal(failed.message, null, 'null clears message')
  t.same(failed.error, {
    name: 'RangeError',
    message: 'n too large',
    stack: 'RangeError: n too large\n    at fib',
    code: 'E_N',
  })
  t.same(failed.result, { cacheKey: 'key-1', namespace: NS_A, size: 12 })
  const again = await store.computations.get(NS_A, record.id)
  t.same(again, failed, 'stored as returned')
}

async function updateUnknownId(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  await expectCode(
    t,
    () => store.computations.update(NS_A, 'no-such-id', 'queued', { message: 'x' }),
    'CM_ERR_NOT_FOUND',
    'update',
  )
}

async function deleteRecord(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const record = await store.computations.create(computationInput())
  const other = await store.computations.create(computationInput())
  t.equal(await store.computations.delete(NS_A, record.id), true, 'deletes')
  t.equal(await store.computations.get(NS_A, record.id), null, 'gone by id')
  t.equal(await store.computations.getByHash(NS_A, record.hash), null, 'gone by hash')
  t.equal(await store.computations.delete(NS_A, record.id), false, 'second delete → false')
  t.equal(await store.computations.delete(NS_A, 'no-such-id'), false, 'unknown id → false')
  t.ok(await store.computations.get(NS_A, other.id), 'the other record is untouched')
  const recreated = await store.computations.create(computationInput({ hash: record.hash }))
  t.equal(recreated.attempt, 1, 'the hash can be used again')
}

async function copies(t: Test, h: Harness): Promise<void> {
  const { store } = await h.open(t)
  const input = computationInput({ args: { list: [1, 2, 3], deep: { value: 'original' } } })
  const record = await store.computations.create(input)
  ;(input.args as { deep: { value: string } }).deep.value = 'mutated input'
  ;(record.args as { list: number[] }).list.push(4)
  record.status = 'finished'
  const stored = await store.computations.get(NS_A, record.id)
  sameJson(t, stored?.args, { list: [1, 2, 3], deep: { value: 'original' } }, 'args unchanged')
  t.equal(stored?.status, 'queued', 'status unchanged')
  const patch = { checkpoint: { items: ['a'] } }
  await store.computations.update(NS_A, record.id, 'queued', patch)
  patch.checkpoint.items.push('b')
  const after = await store.computations.get(NS_A, record.id)
  sameJson(t, after?.checkpoint, { items: ['a'] }, 'a patch mutated after the call changes nothing')
  const mutate = (r: { message: string | null; checkpoint: unknown } | null | undefined) => {
    if (!r) return
    r.message = 'mutated'
    ;(r.checkpoint as { items: string[] }).items.push('mutated')
  }
  mutate(after)
  mutate(await store.computations.getByHash(NS_A, record.hash))
  mutate((await store.computations.list({ namespace: NS_A })).data[0])
  const fresh = await store.computations.get(NS_A, record.id)
  t.equal(fresh?.message, null, 'mutating a get / getByHash / list result changes nothing stored')
  sameJson(t, fresh?.checkpoint, { items: ['a'] }, 'nested data included')
}
