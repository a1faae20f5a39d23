import {
  type Computation,
  cmError,
  type EnqueueResult,
  type RecoveredJob,
  type RetryInput,
} from '@comp-manager/core'
import {
  applyRecovery,
  applyRequeue,
  applyRetry,
  buildJob,
  claimJob,
  decideEnqueue,
  type NormalizedClaimNext,
  type NormalizedNewJob,
  type NormalizedPruneCriteria,
  newId,
  notFound,
  prunedResultEntry,
  selectPrunable,
} from '@comp-manager/core/store-kit'
import type { Collection, Document } from 'mongodb'
import { MAX_CAS_ROUNDS, PRIMARY, type StoreContext } from './context.js'
import {
  changedComputationFields,
  computationUpgrades,
  DOCUMENT_VERSION,
  documentVersion,
  fromComputationDocument,
  toComputationDocument,
  toDate,
  upgradeDocument,
} from './documents.js'
import { isDuplicateKeyError } from './errors.js'
import { byId, eq, oneOf } from './filters.js'
import { FleetSlots, type HeldSlot } from './queue-slots.js'

interface Read {
  record: Computation
  /** `null` for a document written before there was a write counter. */
  rev: number | null
  current: boolean
}

const readOf = (doc: Document): Read => ({
  record: fromComputationDocument(upgradeDocument(doc, computationUpgrades)),
  rev: typeof doc.rev === 'number' ? doc.rev : null,
  current: documentVersion(doc) === DOCUMENT_VERSION,
})

/** The claim order, on the `cm_queue_claim` index. */
const CLAIM_SORT = { priority: -1, dueAt: 1, createdAt: 1, _id: 1 } as const

/**
 * The job half of `MongoStore`'s queue backend. No transactions (the wire peer and standalone
 * servers have none): `claimNext` is one `findOneAndUpdate` on the claim index; every other change
 * is a conditional single-document write on `rev`. `retry` and `recoverExpired` **insert the next
 * attempt first** (the unique `{namespace, hash, attempt}` index makes that idempotent), then close
 * the old one: after a crash between the two, a later recovery finds the next attempt already there
 * and only closes the old one. Fleet-wide limits hold through slot documents taken before the claim
 * (`queue-slots.ts`): at most n jobs of a limited function are ever `started`.
 */
export class MongoJobs {
  readonly #slots: FleetSlots | undefined

  /** `slots`: the collection of fleet-wide limit slots (claims need it; recovery alone does not). */
  constructor(
    private readonly ctx: StoreContext,
    slots?: Collection<Document & { _id: string }>,
  ) {
    this.#slots = slots === undefined ? undefined : new FleetSlots(ctx, slots)
  }

  private get slots(): FleetSlots {
    if (this.#slots === undefined) throw new Error('MongoJobs: claims need the slots collection')
    return this.#slots
  }

  private get collection() {
    return this.ctx.computations
  }

  async enqueue(input: NormalizedNewJob): Promise<EnqueueResult> {
    return this.ctx.run('queue.enqueue', async () => {
      for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
        const now = this.ctx.clock()
        const [latest] = await this.collection
          .find({ namespace: eq(input.namespace, 'namespace'), hash: eq(input.hash, 'hash') }, PRIMARY)
          .sort({ attempt: -1 })
          .limit(1)
          .toArray()
        const decision = decideEnqueue(latest === undefined ? null : readOf(latest).record, input.rerun)
        if (decision.action === 'join') return { record: decision.record, created: false }
        const record = buildJob(input, { id: newId(now), now, attempt: decision.attempt })
        try {
          await this.collection.insertOne(toComputationDocument(record))
          return { record: fromComputationDocument(toComputationDocument(record)), created: true }
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err
        }
      }
      throw cmError('CM_ERR_CONFLICT', `enqueue of ${input.hash} kept racing other writers`)
    })
  }

  /** Up to `max` claims, one `findOneAndUpdate` each (no transactions): each is atomic on its own. */
  async claimBatch(input: NormalizedClaimNext): Promise<Computation[]> {
    const claimed: Computation[] = []
    for (let i = 0; i < input.max; i++) {
      const next = await this.claimNext(input)
      if (next === null) break
      claimed.push(next)
    }
    return claimed
  }

  async claimNext(input: NormalizedClaimNext): Promise<Computation | null> {
    return this.ctx.run('queue.claimNext', async () => {
      let open = await this.slots.openFunctions(input)
      for (let round = 0; round < MAX_CAS_ROUNDS && open.length > 0; round++) {
        const fn = await this.nextFunction(input, open)
        if (fn === null) return null
        const limit = input.limits[fn]
        if (limit === undefined) {
          return this.claimOne(
            input,
            open.filter((f) => input.limits[f] === undefined),
            null,
          )
        }
        const slot = await this.slots.acquire(input.namespaces, fn, limit, input.leaseMs)
        if (slot === null) {
          open = open.filter((f) => f !== fn) // full: the next function in claim order may run
          continue
        }
        const claimed = await this.claimOne(input, [fn], slot)
        if (claimed !== null) return claimed
        await this.slots.release(slot) // another claimer took the job we saw: look again
      }
      return null
    })
  }

  /**
   * The function of the next runnable job among `open` (a read, no claim): when some functions are
   * limited, a slot of that function must be taken before its job is claimed.
   */
  private async nextFunction(input: NormalizedClaimNext, open: readonly string[]): Promise<string | null> {
    if (open.every((fn) => input.limits[fn] === undefined)) return open[0] ?? null
    const [next] = await this.collection
      .find(this.queuedFilter(input, open, this.ctx.clock()), { ...PRIMARY, projection: { function: 1 } })
      .sort(CLAIM_SORT)
      .limit(1)
      .toArray()
    return next === undefined ? null : String(next.function)
  }

  private queuedFilter(input: NormalizedClaimNext, functions: readonly string[], now: number): Document {
    return {
      status: 'queued',
      namespace: oneOf(input.namespaces, 'namespace'),
      function: oneOf(functions, 'function'),
      dueAt: { $lte: toDate(now) },
    }
  }

  /**
   * One `findOneAndUpdate` claiming the next job of `functions`; with a slot, the job carries its
   * token, and a slot taken over meanwhile (a claimer stalled past its grace) puts the job back.
   */
  private async claimOne(
    input: NormalizedClaimNext,
    functions: readonly string[],
    slot: HeldSlot | null,
  ): Promise<Computation | null> {
    if (functions.length === 0) return null
    const now = this.ctx.clock()
    const before = await this.collection.findOneAndUpdate(
      this.queuedFilter(input, functions, now),
      {
        $set: {
          status: 'started',
          worker: input.worker,
          owner: input.owner,
          pid: input.pid,
          host: input.host,
          heartbeatAt: toDate(now),
          leaseUntil: toDate(now + input.leaseMs),
          activeSince: toDate(now),
          pauseRequestedAt: null,
          updatedAt: toDate(now),
          claimedAt: toDate(now),
          slot: slot?.token ?? null,
          maxLostRetries: input.maxLostRetries,
        },
        $inc: { rev: 1 },
      },
      { sort: CLAIM_SORT, returnDocument: 'before' },
    )
    if (before === null) return null
    const read = readOf(before)
    const claimed = claimJob(read.record, input, now)
    if (slot !== null && !(await this.slots.bind(slot, claimed.id))) {
      const rev = (read.rev ?? 0) + 1
      await this.collection.replaceOne({ _id: claimed.id, rev }, { ...before, rev: rev + 1 })
      return null
    }
    if (read.record.startedAt === null) {
      await this.collection.updateOne(
        { _id: claimed.id, startedAt: null },
        { $set: { startedAt: toDate(now) } },
      )
    }
    return fromComputationDocument(toComputationDocument(claimed))
  }

  async retry(
    namespace: string,
    id: string,
    input: RetryInput,
  ): Promise<{ failed: Computation; next: Computation }> {
    return this.ctx.run('queue.retry', async () => {
      const now = this.ctx.clock()
      const read = await this.read(namespace, id)
      const { next } = applyRetry(read.record, input, { id: newId(now), now })
      await this.insertNext(next)
      for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
        const current = round === 0 ? read : await this.read(namespace, id)
        if (current.record.status !== 'started') {
          await this.collection.deleteOne({ _id: next.id })
          applyRetry(current.record, input, { id: next.id, now })
        }
        const { failed } = applyRetry(current.record, input, { id: next.id, now: this.ctx.clock() })
        const written = await this.writeIfUnchanged(current, failed)
        if (written !== null)
          return { failed: written, next: fromComputationDocument(toComputationDocument(next)) }
      }
      throw cmError('CM_ERR_CONFLICT', `computation ${id} kept changing during the retry`, {
        details: { id },
      })
    })
  }

  async requeue(
    namespace: string,
    id: string,
    expectedStatus: 'started' | 'paused',
    input: { runAt?: number | null; checkpoint?: unknown } | undefined,
  ): Promise<Computation> {
    return this.ctx.run('queue.requeue', async () => {
      for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
        const read = await this.read(namespace, id)
        const written = await this.writeIfUnchanged(
          read,
          applyRequeue(read.record, expectedStatus, input, this.ctx.clock()),
        )
        if (written !== null) return written
      }
      throw cmError('CM_ERR_CONFLICT', `computation ${id} kept changing during the requeue`, {
        details: { id },
      })
    })
  }

  async recoverExpired(limit: number, maxLostRetries: number): Promise<RecoveredJob[]> {
    return this.ctx.run('queue.recoverExpired', async () => {
      const now = this.ctx.clock()
      const docs = await this.collection
        .find(
          {
            status: oneOf(['started', 'paused'], 'status'),
            worker: { $ne: null },
            leaseUntil: { $lte: toDate(now) },
          },
          PRIMARY,
        )
        .sort({ leaseUntil: 1, _id: 1 })
        .limit(limit)
        .toArray()
      const out: RecoveredJob[] = []
      for (const doc of docs) {
        // The claim's lost retries win; the caller's only for a job claimed without one.
        const retries = typeof doc.maxLostRetries === 'number' ? doc.maxLostRetries : maxLostRetries
        const recovered = await this.recover(readOf(doc), retries, now, {
          leaseUntil: { $lte: toDate(now) },
        })
        if (recovered !== null) out.push(recovered)
      }
      return out
    })
  }

  /**
   * Recovers the expired job `read` (its next attempt inserted first, then it is closed `lost` if
   * still as read and `leaseFilter` matches); `null` when another writer got there first.
   */
  async recover(read: Read, maxLostRetries: number, now: number, leaseFilter: Document) {
    const planned = applyRecovery(read.record, maxLostRetries, { id: newId(now), now })
    const next = planned.next === null ? null : await this.insertNext(planned.next, true)
    const written = await this.writeIfUnchanged(read, planned.lost, leaseFilter)
    if (written !== null) return { lost: written, next }
    // Another recoverer closed it (and reports the attempt we share), or its lease was renewed:
    // then the attempt inserted for it goes.
    const now2 = await this.collection.findOne(byId(read.record.namespace, read.record.id), PRIMARY)
    if (next !== null && now2 !== null && readOf(now2).record.status !== 'lost') {
      await this.collection.deleteOne({ _id: next.id, status: 'queued' })
    }
    return null
  }

  async prune(c: NormalizedPruneCriteria): Promise<number> {
    return this.ctx.run('queue.prune', async () => {
      const filter: Document = {
        namespace: oneOf(c.namespaces, 'namespace'),
        status: oneOf(c.statuses, 'status'),
        ...(c.function === undefined
          ? {}
          : {
              $or: [{ function: eq(c.function, 'function') }, { functionFull: eq(c.function, 'function') }],
            }),
      }
      const candidates = (await this.collection.find(filter, PRIMARY).toArray()).map(
        (doc) => readOf(doc).record,
      )
      const doomed = selectPrunable(candidates, c)
      for (let i = 0; i < doomed.length; i += c.batchSize) {
        const batch = doomed.slice(i, i + c.batchSize)
        await this.collection.deleteMany({ _id: { $in: batch.map((r) => r.id) } })
        for (const r of batch) {
          const entry = prunedResultEntry(r)
          if (entry === null) continue
          await this.ctx.cacheEntries.deleteOne({
            namespace: eq(entry.namespace, 'namespace'),
            key: eq(entry.key, 'key'),
          })
        }
      }
      return doomed.length
    })
  }

  private async read(namespace: string, id: string): Promise<Read> {
    const doc = await this.collection.findOne(byId(namespace, id), PRIMARY)
    return doc === null ? notFound('computation', id) : readOf(doc)
  }

  /**
   * Inserts a next attempt and returns it as stored; with `reuse`, one already there (an earlier,
   * interrupted or concurrent recovery) is returned instead.
   */
  private async insertNext(next: Computation, reuse = false): Promise<Computation> {
    try {
      await this.collection.insertOne(toComputationDocument(next))
      return fromComputationDocument(toComputationDocument(next))
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err
      const existing = reuse
        ? await this.collection.findOne(
            {
              namespace: eq(next.namespace, 'namespace'),
              hash: eq(next.hash, 'hash'),
              attempt: next.attempt,
            },
            PRIMARY,
          )
        : null
      if (existing !== null) return readOf(existing).record
      throw cmError('CM_ERR_CONFLICT', `attempt ${next.attempt} of ${next.hash} already exists`, {
        details: { hash: next.hash, attempt: next.attempt },
      })
    }
  }

  private async writeIfUnchanged(
    read: Read,
    next: Computation,
    extra: Document = {},
  ): Promise<Computation | null> {
    const filter = {
      ...byId(read.record.namespace, read.record.id),
      status: eq(read.record.status, 'status'),
      rev: eq(read.rev, 'rev'),
      ...extra,
    }
    const rev = (read.rev ?? 0) + 1
    const doc = read.current
      ? await this.collection.findOneAndUpdate(
          filter,
          { $set: { ...changedComputationFields(read.record, next), rev } },
          { returnDocument: 'after' },
        )
      : await this.collection.findOneAndReplace(filter, toComputationDocument(next, rev), {
          returnDocument: 'after',
        })
    return doc === null ? null : readOf(doc).record
  }
}
