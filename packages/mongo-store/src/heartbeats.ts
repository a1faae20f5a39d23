import type { Computation, HeartbeatInput } from '@comp-manager/core'
import { applyHeartbeat, notFound } from '@comp-manager/core/store-kit'
import type { Document } from 'mongodb'
import { PRIMARY, type StoreContext } from './context.js'
import { progressDoc, toDate } from './documents.js'
import { byId, eq, LIVE_STATUSES, oneOf } from './filters.js'

/** How many live runs `LiveRuns` keeps track of (the oldest is forgotten first). */
const MAX_TRACKED_RUNS = 4096

const isLive = (status: string) => (LIVE_STATUSES as readonly string[]).includes(status)

/**
 * The records of live runs as this store last wrote them, with their write counter: a heartbeat on
 * a run nobody else wrote since is an `updateOne` filtered on that counter, whose answer is a few
 * bytes, and the record it returns is built here instead of shipping the document (args and
 * checkpoint can be megabytes) back from the server.
 *
 * Records are held through `WeakRef`s to the very objects the store returned: this keeps no
 * payload alive that the caller (a run's lease) has let go, and copies nothing. Callers must treat
 * returned records as read-only (they always could: the store never reads them back).
 */
export class LiveRuns {
  readonly #runs = new Map<string, { rev: number; record: WeakRef<Computation> }>()

  /** After a write of this store: `record` is stored with write counter `rev`. */
  remember(record: Computation, rev: number | null): void {
    const key = keyOf(record.namespace, record.id)
    this.#runs.delete(key)
    if (rev === null || !isLive(record.status)) return
    if (this.#runs.size >= MAX_TRACKED_RUNS) {
      const oldest = this.#runs.keys().next().value
      if (oldest !== undefined) this.#runs.delete(oldest)
    }
    this.#runs.set(key, { rev, record: new WeakRef(record) })
  }

  recall(namespace: string, id: string): { rev: number; record: Computation } | undefined {
    const key = keyOf(namespace, id)
    const known = this.#runs.get(key)
    const record = known?.record.deref()
    if (known === undefined || record === undefined) {
      this.#runs.delete(key)
      return undefined
    }
    return { rev: known.rev, record }
  }
}

const keyOf = (namespace: string, id: string) => `${namespace}\u0000${id}`

/** What one heartbeat writes, and the record fields it changes (as they read back: whole ms). */
function heartbeatChanges(ctx: StoreContext, input: HeartbeatInput) {
  const now = toDate(ctx.clock())
  const leaseUntil = toDate(ctx.leaseInstant(input.leaseUntil))
  const set: Document = { leaseUntil, heartbeatAt: now, updatedAt: now }
  const fields: Partial<Computation> = {
    leaseUntil: leaseUntil.getTime(),
    heartbeatAt: now.getTime(),
    updatedAt: now.getTime(),
  }
  if (input.progress !== undefined) fields.progress = set.progress = progressDoc(input.progress)
  if (input.message !== undefined) fields.message = set.message = input.message
  return { now: now.getTime(), update: { $set: set, $inc: { rev: 1 } }, fields }
}

/**
 * One heartbeat (core's `applyHeartbeat` decision as one conditional write: a live run, whatever
 * its lease, renews). Returns the renewed record, or `undefined` when nothing was written (the run is
 * absent or not live: the caller re-reads and decides).
 *
 * - The run's last write was this store's (`live` knows its `rev`): `updateOne` on `rev`; no
 *   document comes back.
 * - Otherwise (first beat after a restart, or another process wrote the run since: a pause request,
 *   a patch): `findOneAndUpdate` returning the document once, which `live` then remembers.
 */
export async function renewLease(
  ctx: StoreContext,
  live: LiveRuns,
  read: (doc: Document) => { record: Computation; rev: number | null },
  namespace: string,
  id: string,
  input: HeartbeatInput,
): Promise<Computation | undefined> {
  const { update, fields } = heartbeatChanges(ctx, input)
  const known = live.recall(namespace, id)
  if (known !== undefined) {
    const result = await ctx.computations.updateOne(
      { ...byId(namespace, id), status: eq(known.record.status, 'status'), rev: eq(known.rev, 'rev') },
      update,
    )
    if (result.matchedCount === 1) {
      const record: Computation = { ...known.record, ...fields }
      live.remember(record, known.rev + 1)
      return record
    }
  }
  const doc = await ctx.computations.findOneAndUpdate(
    { ...byId(namespace, id), status: oneOf(LIVE_STATUSES, 'status') },
    update,
    { returnDocument: 'after' },
  )
  if (doc === null) return undefined
  const renewed = read(doc)
  live.remember(renewed.record, renewed.rev)
  return renewed.record
}

/** A heartbeat that wrote nothing: `CM_ERR_NOT_FOUND`, or core's `CM_ERR_CONFLICT` for a run that is over. */
export async function refuseHeartbeat(
  ctx: StoreContext,
  read: (doc: Document) => { record: Computation },
  namespace: string,
  id: string,
  input: HeartbeatInput,
): Promise<void> {
  const doc = await ctx.computations.findOne(byId(namespace, id), PRIMARY)
  if (doc === null) notFound('computation', id)
  // Throws for a run that is over; a run that is live again by now is retried by the caller.
  applyHeartbeat(read(doc).record, input, ctx.clock())
}
