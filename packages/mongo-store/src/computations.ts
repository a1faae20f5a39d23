import {
  type ClaimInput,
  type ClaimResult,
  type Computation,
  type ComputationPatch,
  type ComputationStatus,
  cmError,
  type HeartbeatInput,
  type NewComputation,
} from '@comp-manager/core'
import {
  applyPatch,
  buildClaimedComputation,
  buildComputation,
  type ComputationBackend,
  DEFAULT_MAX_LOST_RETRIES,
  decideClaim,
  isLeaseExpired,
  type ListSlice,
  markLost,
  type NormalizedComputationQuery,
  newId,
  notFound,
  takeQueued,
} from '@comp-manager/core/store-kit'
import type { Document } from 'mongodb'
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
import {
  and,
  byId,
  computationAfter,
  computationListFilter,
  computationSort,
  eq,
  expiredLeaseFilter,
  leaseExpired,
} from './filters.js'
import { LiveRuns, refuseHeartbeat, renewLease } from './heartbeats.js'
import { confirmLoss, soleAttemptOrRefuse } from './index-guard.js'
import { MongoJobs } from './queue-jobs.js'
import { fitting } from './sizes.js'

/** A record as read, with what a compare-and-set needs to detect a concurrent write. */
interface ReadRecord {
  record: Computation
  /** The stored write counter (`null` for a document written before there was one). */
  rev: number | null
  /** The document is in the current layout (a `$set` of the changes is enough to write it). */
  current: boolean
  /** The lost retries the job's claim recorded (`null`: none, the default applies). */
  maxLostRetries: number | null
}

function readRecord(doc: Document): ReadRecord {
  return {
    record: fromComputationDocument(upgradeDocument(doc, computationUpgrades)),
    rev: typeof doc.rev === 'number' ? doc.rev : null,
    current: documentVersion(doc) === DOCUMENT_VERSION,
    maxLostRetries: typeof doc.maxLostRetries === 'number' ? doc.maxLostRetries : null,
  }
}

const toRecord = (doc: Document): Computation => readRecord(doc).record

/** What the caller will read back: timestamps go through BSON Dates (whole milliseconds). */
const asStored = (record: Computation): Computation => fromComputationDocument(toComputationDocument(record))

function conflictAfterRetries(id: string): never {
  throw cmError(
    'CM_ERR_CONFLICT',
    `computation ${id} kept changing under ${MAX_CAS_ROUNDS} compare-and-set attempts`,
    {
      details: { id },
    },
  )
}

/**
 * The computation backend of `MongoStore` (behind core's guard, which validates every input). Every decision (claim, patch, takeover, lost) is made by
 * core's shared record logic on a primary read, then written with a single-document conditional
 * write filtered on `_id`, `namespace`, the status read and the write counter `rev`; when another
 * writer got there first the write matches nothing and the operation starts over from a fresh read.
 * New attempts are inserted under the unique `{namespace, hash, attempt}` index: a duplicate key
 * means another claimer won that attempt.
 */
export class MongoComputationStore implements ComputationBackend {
  /** Live runs this store wrote last, so that their heartbeats need not read the document back. */
  private readonly live = new LiveRuns()

  constructor(private readonly ctx: StoreContext) {}

  private get collection() {
    return this.ctx.computations
  }

  assertOpen(): void {
    this.ctx.assertOpen()
  }

  async create(input: NewComputation): Promise<Computation> {
    this.ctx.assertOpen()
    return this.ctx.run('computations.create', async () => {
      await this.ctx.indexes.assertClaimable()
      const now = this.ctx.clock()
      if ((await this.latest(input.namespace, input.hash)) !== null)
        this.duplicate(input.namespace, input.hash)
      const record = buildComputation(input, { id: newId(now), now })
      try {
        await this.collection.insertOne(fitting(toComputationDocument(record)))
      } catch (err) {
        if (isDuplicateKeyError(err)) this.duplicate(input.namespace, input.hash, err)
        throw err
      }
      await this.assertSoleAttempt(record)
      return asStored(record)
    })
  }

  async get(namespace: string, id: string): Promise<Computation | null> {
    this.ctx.assertOpen()
    return this.ctx.run('computations.get', async () => {
      const doc = await this.collection.findOne(byId(namespace, id))
      return doc === null ? null : toRecord(doc)
    })
  }

  async getByHash(namespace: string, hash: string): Promise<Computation | null> {
    this.ctx.assertOpen()
    return this.ctx.run('computations.getByHash', async () => {
      const [doc] = await this.collection
        .find({ namespace: eq(namespace, 'namespace'), hash: eq(hash, 'hash') })
        .sort({ attempt: -1 })
        .limit(1)
        .toArray()
      return doc === undefined ? null : toRecord(doc)
    })
  }

  async claim(input: ClaimInput): Promise<ClaimResult> {
    this.ctx.assertOpen()
    return this.ctx.run('computations.claim', async () => {
      await this.ctx.indexes.assertClaimable()
      for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
        const now = this.ctx.clock()
        const latest = await this.latest(input.namespace, input.hash)
        const decision = decideClaim(latest?.record ?? null, input, now)
        if (decision.action === 'lose') {
          if (latest?.rev === 0) await confirmLoss(this.collection, decision.record, this.ctx.indexes)
          return { won: false, record: decision.record }
        }

        if (decision.action === 'take-queued') {
          const taken = await this.writeIfUnchanged(latest!, takeQueued(decision.record, input, now))
          if (taken !== null) return { won: true, record: taken, previous: null }
          continue
        }

        // insert: a first attempt, a rerun of a finished one, or the takeover of an expired lease.
        // The next attempt is inserted first, under the unique {namespace, hash, attempt} index, so
        // exactly one claimer wins and every reader from then on finds the winner's live run as the
        // latest attempt; only then is the expired run retired. (Retiring it first would let a
        // claimer that reads in between find a `lost` run as the latest and return it.)
        const record = buildClaimedComputation(input, { id: newId(now), now, attempt: decision.attempt })
        try {
          await this.collection.insertOne(fitting(toComputationDocument(record)))
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err
          // Another claimer inserted this attempt first: the race is lost, not an error.
          const winner = await this.latest(input.namespace, input.hash)
          if (winner !== null) return { won: false, record: winner.record }
          continue
        }
        await this.assertSoleAttempt(record)
        let previous = decision.previous
        if (decision.expire) {
          const retired = await this.retire(latest!, now)
          if (retired.status !== 'lost') {
            // The expired run renewed its lease just in time (its process was slow, not dead): it
            // keeps the hash, and the attempt inserted above never happened.
            await this.collection.deleteOne({ _id: record.id, rev: 0 })
            return { won: false, record: retired }
          }
          previous = retired
        }
        const won = asStored(record)
        this.live.remember(won, 0)
        return { won: true, record: won, previous }
      }
      return conflictAfterRetries(input.hash)
    })
  }

  async update(
    namespace: string,
    id: string,
    expectedStatus: ComputationStatus,
    patch: ComputationPatch,
  ): Promise<Computation> {
    this.ctx.assertOpen()
    return this.ctx.run('computations.update', async () => {
      for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
        const read = await this.read(namespace, id)
        if (read === null) notFound('computation', id)
        const next = applyPatch(read.record, expectedStatus, this.onStoreTime(patch), this.ctx.clock())
        const written = await this.writeIfUnchanged(read, next)
        if (written !== null) return written
      }
      return conflictAfterRetries(id)
    })
  }

  async heartbeat(namespace: string, id: string, input: HeartbeatInput): Promise<Computation> {
    this.ctx.assertOpen()
    return this.ctx.run('computations.heartbeat', async () => {
      for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
        const renewed = await renewLease(this.ctx, this.live, readRecord, namespace, id, input)
        if (renewed !== undefined) return renewed
        await refuseHeartbeat(this.ctx, readRecord, namespace, id, input)
      }
      return conflictAfterRetries(id)
    })
  }

  async expire(namespace: string, id: string): Promise<Computation | null> {
    this.ctx.assertOpen()
    return this.ctx.run('computations.expire', async () => {
      for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
        const read = await this.read(namespace, id)
        if (read === null) notFound('computation', id)
        const now = this.ctx.clock()
        if (!isLeaseExpired(read.record, now)) return null
        const expiry = leaseExpired(now, this.ctx.serverDecidesExpiry)
        // A claimed job also gets its next attempt (core's applyExpiry), inserted first.
        const retries = read.maxLostRetries ?? DEFAULT_MAX_LOST_RETRIES
        const lost =
          read.record.worker === null
            ? await this.writeIfUnchanged(read, markLost(read.record, now), expiry)
            : ((await new MongoJobs(this.ctx).recover(read, retries, now, expiry))?.lost ?? null)
        if (lost !== null) return lost
        // Unchanged but not written: the server's clock says the lease has not run out yet.
        const again = await this.read(namespace, id)
        if (again !== null && again.rev === read.rev && again.record.status === read.record.status)
          return null
      }
      return conflictAfterRetries(id)
    })
  }

  async findExpired(limit: number): Promise<Computation[]> {
    this.ctx.assertOpen()
    return this.ctx.run('computations.findExpired', async () => {
      const docs = await this.collection
        .find(expiredLeaseFilter(this.ctx.clock(), this.ctx.serverDecidesExpiry), PRIMARY)
        .sort({ leaseUntil: 1, _id: 1 })
        .limit(limit)
        .toArray()
      return docs.map(toRecord)
    })
  }

  async list(q: NormalizedComputationQuery): Promise<ListSlice<Computation>> {
    this.ctx.assertOpen()
    return this.ctx.run('computations.list', async () => {
      const filter = computationListFilter(q)
      const projection = {
        ...(q.include.args ? {} : { argsJson: 0 }),
        ...(q.include.checkpoint ? {} : { checkpointJson: 0 }),
      }
      const [docs, total] = await Promise.all([
        this.collection
          .find(and(filter, computationAfter(q)), { projection })
          .sort(computationSort(q))
          .skip(q.offset)
          .limit(q.perPage + 1)
          .toArray(),
        // Bounded: past countLimit the guard reports a lower bound, so never count further.
        this.collection.countDocuments(filter, { limit: q.countLimit + 1 }),
      ])
      const rows = docs.map((doc) => {
        const record = toRecord(doc)
        if (!q.include.args) record.args = undefined
        if (!q.include.checkpoint) record.checkpoint = undefined
        return record
      })
      return { rows, total }
    })
  }

  async delete(namespace: string, id: string): Promise<boolean> {
    this.ctx.assertOpen()
    return this.ctx.run('computations.delete', async () => {
      const result = await this.collection.deleteOne(byId(namespace, id))
      return result.deletedCount === 1
    })
  }

  // ---- internals ------------------------------------------------------------------------------

  /** A patch's lease deadline (on the caller's clock) moved to the store's time line. */
  private onStoreTime(patch: ComputationPatch): ComputationPatch {
    if (typeof patch.leaseUntil !== 'number') return patch
    return { ...patch, leaseUntil: this.ctx.leaseInstant(patch.leaseUntil) }
  }

  private duplicate(namespace: string, hash: string, cause?: unknown): never {
    throw cmError(
      'CM_ERR_DUPLICATE',
      `a computation with hash ${hash} already exists in namespace ${namespace}`,
      {
        ...(cause === undefined ? {} : { cause }),
        details: { namespace, hash },
      },
    )
  }

  /** After inserting an attempt: no other document may hold it (see `soleAttemptOrRefuse`). */
  private assertSoleAttempt(record: Computation): Promise<void> {
    return soleAttemptOrRefuse(this.collection, record, this.ctx.indexes, toDate(this.ctx.clock()))
  }

  /** One record read from the primary. */
  private async read(namespace: string, id: string): Promise<ReadRecord | null> {
    const doc = await this.collection.findOne(byId(namespace, id), PRIMARY)
    return doc === null ? null : readRecord(doc)
  }

  /** The latest attempt of a hash, read from the primary. */
  private async latest(namespace: string, hash: string): Promise<ReadRecord | null> {
    const [doc] = await this.collection
      .find({ namespace: eq(namespace, 'namespace'), hash: eq(hash, 'hash') }, PRIMARY)
      .sort({ attempt: -1 })
      .limit(1)
      .toArray()
    return doc === undefined ? null : readRecord(doc)
  }

  /**
   * Marks the expired run `read` lost (unless its lease was renewed meanwhile); returns it as it is
   * then: `lost` (by this write, or by a sweeper or a waiter meanwhile), or live again.
   */
  private async retire(read: ReadRecord, now: number): Promise<Computation> {
    const lost = await this.writeIfUnchanged(
      read,
      markLost(read.record, now),
      leaseExpired(now, this.ctx.serverDecidesExpiry),
    )
    if (lost !== null) return lost
    return (await this.read(read.record.namespace, read.record.id))?.record ?? markLost(read.record, now)
  }

  /**
   * Writes `next` over the record `read` came from, only if nobody wrote it since (same status and
   * `rev`, plus `extra`); returns the stored record, or `null` when another writer won.
   */
  private async writeIfUnchanged(
    read: ReadRecord,
    next: Computation,
    extra: Document = {},
  ): Promise<Computation | null> {
    const filter = {
      ...byId(read.record.namespace, read.record.id),
      // `hash` changes nothing for the match (ids are unique) but lets a cluster sharded on
      // { namespace, hash } route the write to one shard.
      hash: eq(read.record.hash, 'hash'),
      status: eq(read.record.status, 'status'),
      rev: eq(read.rev, 'rev'),
      ...extra,
    }
    const rev = (read.rev ?? 0) + 1
    // Neither write asks for the document back: matching `rev` means it was `read` before the write,
    // so it is `next` after it (the answer is a few bytes however large args and checkpoint are).
    const result = read.current
      ? await this.collection.updateOne(filter, {
          $set: { ...changedComputationFields(read.record, next), rev },
        })
      : // An older layout is rewritten whole: this is where the lazy upgrade is persisted.
        await this.collection.replaceOne(filter, toComputationDocument(next, rev))
    if (result.matchedCount !== 1) return null
    const stored = asStored(next)
    this.live.remember(stored, rev)
    return stored
  }
}
