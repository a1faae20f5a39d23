import type { Computation } from '../domain/schemas.js'
import type { ComputationStatus } from '../domain/status.js'
import { cmError } from '../errors/index.js'
import type { ComputationBackend, ListSlice } from './backend.js'
import { cloneStored } from './clone.js'
import type { MemoryContext } from './memory-store.js'
import type { ClaimInput, ClaimResult, ComputationPatch, HeartbeatInput, NewComputation } from './ports.js'
import type { NormalizedComputationQuery, SortSpec } from './queries.js'
import { applyExpiry } from './queue-records.js'
import {
  applyHeartbeat,
  applyPatch,
  buildClaimedComputation,
  buildComputation,
  decideClaim,
  isLeaseExpired,
  markLost,
  newId,
  notFound,
  sliceOf,
  takeQueued,
} from './records.js'

/**
 * The computation backend of `MemoryStore` (behind core's guard, which validates every input). No method awaits between reading and writing, so each one
 * is atomic with respect to every other call in the process. Stored records are private copies.
 */
export class MemoryComputationStore implements ComputationBackend {
  readonly #context: MemoryContext
  /** Every record, by id (ids are unique across namespaces). */
  readonly #byId = new Map<string, Computation>()
  /** `namespace → hash → ids of its attempts`, oldest attempt first. */
  readonly #attempts = new Map<string, Map<string, string[]>>()
  /** Record id → the lost retries its claim recorded (`ClaimNextInput.maxLostRetries`). */
  readonly #lostRetries = new Map<string, number>()

  constructor(context: MemoryContext) {
    this.#context = context
  }

  assertOpen(): void {
    this.#context.assertOpen()
  }

  async create(input: NewComputation): Promise<Computation> {
    this.#context.assertOpen()
    if (this.#latest(input.namespace, input.hash) !== null) {
      throw cmError(
        'CM_ERR_DUPLICATE',
        `a computation with hash ${input.hash} already exists in ${input.namespace}`,
        {
          details: { namespace: input.namespace, hash: input.hash },
        },
      )
    }
    const now = this.#context.clock()
    return copy(this.#insert(buildComputation(input, { id: newId(now), now })))
  }

  async get(namespace: string, id: string): Promise<Computation | null> {
    this.#context.assertOpen()
    const record = this.#find(namespace, id)
    return record === null ? null : copy(record)
  }

  async getByHash(namespace: string, hash: string): Promise<Computation | null> {
    this.#context.assertOpen()
    const record = this.#latest(namespace, hash)
    return record === null ? null : copy(record)
  }

  async claim(input: ClaimInput): Promise<ClaimResult> {
    this.#context.assertOpen()
    const now = this.#context.clock()
    const decision = decideClaim(this.#latest(input.namespace, input.hash), input, now)
    switch (decision.action) {
      case 'lose':
        return { won: false, record: copy(decision.record) }
      case 'take-queued':
        return {
          won: true,
          record: copy(this.#replace(takeQueued(decision.record, input, now))),
          previous: null,
        }
      case 'insert': {
        const previous =
          decision.previous !== null && decision.expire
            ? this.#replace(markLost(decision.previous, now))
            : decision.previous
        const record = this.#insert(
          buildClaimedComputation(input, { id: newId(now), now, attempt: decision.attempt }),
        )
        return { won: true, record: copy(record), previous: previous === null ? null : copy(previous) }
      }
    }
  }

  async update(
    namespace: string,
    id: string,
    expectedStatus: ComputationStatus,
    patch: ComputationPatch,
  ): Promise<Computation> {
    this.#context.assertOpen()
    const record = this.#find(namespace, id) ?? notFound('computation', id)
    return copy(this.#replace(applyPatch(record, expectedStatus, patch, this.#context.clock())))
  }

  async heartbeat(namespace: string, id: string, input: HeartbeatInput): Promise<Computation> {
    this.#context.assertOpen()
    const record = this.#find(namespace, id) ?? notFound('computation', id)
    return copy(this.#replace(applyHeartbeat(record, input, this.#context.clock())))
  }

  async expire(namespace: string, id: string): Promise<Computation | null> {
    this.#context.assertOpen()
    const record = this.#find(namespace, id) ?? notFound('computation', id)
    const now = this.#context.clock()
    if (!isLeaseExpired(record, now)) return null
    const { lost, next } = applyExpiry(record, { id: newId(now), now }, this.#lostRetries.get(record.id))
    if (next !== null) this.#insert(next)
    return copy(this.#replace(lost))
  }

  /** Remembers the lost retries a claim gave the job (for `expire` and `recoverExpired`). */
  setLostRetries(id: string, maxLostRetries: number): void {
    this.#lostRetries.set(id, maxLostRetries)
  }

  /** The lost retries the job's claim recorded; `undefined` if none. */
  lostRetriesOf(id: string): number | undefined {
    return this.#lostRetries.get(id)
  }

  async findExpired(limit: number): Promise<Computation[]> {
    this.#context.assertOpen()
    const now = this.#context.clock()
    return [...this.#byId.values()]
      .filter((record) => isLeaseExpired(record, now))
      .sort((a, b) => compare(a.leaseUntil ?? 0, b.leaseUntil ?? 0) || compare(a.id, b.id))
      .slice(0, limit)
      .map(copy)
  }

  async list(q: NormalizedComputationQuery): Promise<ListSlice<Computation>> {
    this.#context.assertOpen()
    const matches = [...this.#byId.values()].filter((record) => matchesQuery(record, q)).sort(bySort(q.sort))
    const field = q.sort.field
    const slice = sliceOf(matches, q, (r) => [r[field], r.id])
    const rows = slice.rows.map((record) => {
      const row = copy(record)
      if (!q.include.args) row.args = undefined
      if (!q.include.checkpoint) row.checkpoint = undefined
      return row
    })
    return { rows, total: slice.total }
  }

  async delete(namespace: string, id: string): Promise<boolean> {
    this.#context.assertOpen()
    const record = this.#find(namespace, id)
    if (record === null) return false
    this.#byId.delete(id)
    this.#lostRetries.delete(id)
    const byHash = this.#attempts.get(namespace)
    const ids = byHash?.get(record.hash)?.filter((other) => other !== id) ?? []
    if (ids.length > 0) byHash?.set(record.hash, ids)
    else byHash?.delete(record.hash)
    return true
  }

  // ---- for the queue backend of the same store (`memory-queue-store.ts`): synchronous, so a caller
  // that does not await between them keeps its read-decide-write atomic. @internal

  /** The stored records (not copies): the caller must not mutate them. */
  records(): IterableIterator<Computation> {
    return this.#byId.values()
  }

  /** The latest attempt of a hash (stored, not a copy), or `null`. */
  latestAttempt(namespace: string, hash: string): Computation | null {
    return this.#latest(namespace, hash)
  }

  /** The stored record (not a copy), or `null`. */
  findRecord(namespace: string, id: string): Computation | null {
    return this.#find(namespace, id)
  }

  insertRecord(record: Computation): Computation {
    return copy(this.#insert(record))
  }

  replaceRecord(record: Computation): Computation {
    return copy(this.#replace(record))
  }

  /** Forgets everything (on close). */
  clear(): void {
    this.#byId.clear()
    this.#attempts.clear()
  }

  #find(namespace: string, id: string): Computation | null {
    const record = this.#byId.get(id)
    return record !== undefined && record.namespace === namespace ? record : null
  }

  /** The highest attempt of `hash` in `namespace`, or `null`. */
  #latest(namespace: string, hash: string): Computation | null {
    const ids = this.#attempts.get(namespace)?.get(hash)
    const id = ids?.[ids.length - 1]
    return id === undefined ? null : (this.#byId.get(id) ?? null)
  }

  /** Stores a copy of a new record as the latest attempt of its hash; returns the stored copy. */
  #insert(record: Computation): Computation {
    const stored = copy(record)
    this.#byId.set(stored.id, stored)
    let byHash = this.#attempts.get(stored.namespace)
    if (byHash === undefined) this.#attempts.set(stored.namespace, (byHash = new Map()))
    byHash.set(stored.hash, [...(byHash.get(stored.hash) ?? []), stored.id])
    return stored
  }

  /** Stores a copy of a changed record in place of the old one; returns the stored copy. */
  #replace(record: Computation): Computation {
    const stored = copy(record)
    this.#byId.set(stored.id, stored)
    return stored
  }
}

const copy = cloneStored

const compare = (a: number | string, b: number | string): number => (a < b ? -1 : a > b ? 1 : 0)

function matchesQuery(record: Computation, q: NormalizedComputationQuery): boolean {
  return (
    q.namespaces.includes(record.namespace) &&
    (q.statuses === undefined || q.statuses.includes(record.status)) &&
    (q.function === undefined || record.function === q.function || record.functionFull === q.function) &&
    (q.hash === undefined || record.hash === q.hash) &&
    (q.since === undefined || record.createdAt >= q.since) &&
    (q.until === undefined || record.createdAt < q.until)
  )
}

/** Orders by the sort field, ties by `id`, both in the sort's direction. */
function bySort(sort: SortSpec<'createdAt' | 'updatedAt'>): (a: Computation, b: Computation) => number {
  const direction = sort.descending ? -1 : 1
  return (a, b) => direction * (compare(a[sort.field], b[sort.field]) || compare(a.id, b.id))
}
