import { type NormalizedClaimNext, newId } from '@comp-manager/core/store-kit'
import type { Collection, Document } from 'mongodb'
import { PRIMARY, type StoreContext } from './context.js'
import { isDuplicateKeyError } from './errors.js'
import { eq, oneOf } from './filters.js'
import { toDate, toMs } from './timestamps.js'

/** A slot taken by a claimer: its document and the token that proves it holds it. */
export interface HeldSlot {
  id: string
  token: string
}

/**
 * A claimer that took a slot and has not named its job yet keeps it this long at least (its
 * `leaseMs` when longer): a claimer that stalls past it may see its slot taken, and then puts its
 * job back (`bind` fails).
 */
const PENDING_GRACE_MS = 30_000

/**
 * Fleet-wide limits on MongoDB without transactions. A function limited to n running jobs (within a
 * claimer's namespaces) has n **slot documents**; a claim first takes a slot with one conditional
 * `findOneAndUpdate` (`holder` null → its token), then claims a job of that function, writing the
 * token on the job (`slot`), then names the job in the slot (conditional on still holding it).
 * Single-document atomicity is enough: two claimers can never hold one slot, so at most n jobs of the
 * function are ever `started` under the limit — checked before the job is claimed, not after (a
 * claim that ranked past the limit and put its job back would have shown n+1 running meanwhile).
 *
 * Slots are freed lazily: a job that ends (finished, failed, paused, lost, lease expired) does not
 * write to its slot; a claimer that finds every slot held reads the jobs they name and takes over a
 * slot whose job no longer runs under that token (another compare-and-set on the holder).
 */
export class FleetSlots {
  readonly #ensured = new Set<string>()

  constructor(
    private readonly ctx: StoreContext,
    private readonly slots: Collection<Document & { _id: string }>,
  ) {}

  /**
   * The functions worth trying: unlimited ones, and limited ones with fewer live running jobs than
   * their limit (a count, to skip full functions cheaply; the slot decides).
   */
  async openFunctions(input: NormalizedClaimNext): Promise<string[]> {
    const now = this.ctx.clock()
    const open: string[] = []
    for (const fn of input.functions) {
      const limit = input.limits[fn]
      if (
        limit === undefined ||
        (await this.ctx.computations.countDocuments(running(fn, input, now))) < limit
      ) {
        open.push(fn)
      }
    }
    return open
  }

  /** Takes a free slot of `fn` in `namespaces` (limit `limit`), or `null` when all n are in use. */
  async acquire(
    namespaces: readonly string[],
    fn: string,
    limit: number,
    leaseMs: number,
  ): Promise<HeldSlot | null> {
    const ids = await this.#ensure(namespaces, fn, limit)
    const now = this.ctx.clock()
    const token = newId(now)
    const take = { $set: { holder: token, job: null, at: toDate(now) } }
    const free = await this.slots.findOneAndUpdate({ _id: { $in: ids }, holder: null }, take, {
      projection: { _id: 1 },
    })
    if (free !== null) return { id: free._id, token }
    const held = await this.slots.find({ _id: { $in: ids } }, PRIMARY).toArray()
    const jobIds = held.map((slot) => slot.job).filter((job): job is string => typeof job === 'string')
    const jobs =
      jobIds.length === 0
        ? []
        : await this.ctx.computations
            .find(
              { _id: { $in: jobIds } },
              { ...PRIMARY, projection: { status: 1, worker: 1, leaseUntil: 1, slot: 1 } },
            )
            .toArray()
    const byId = new Map(jobs.map((job) => [job._id, job]))
    const grace = Math.max(leaseMs, PENDING_GRACE_MS)
    for (const slot of held) {
      if (isLive(slot, byId.get(slot.job as string), now, grace)) continue
      const won = await this.slots.findOneAndUpdate({ _id: slot._id, holder: slot.holder ?? null }, take, {
        projection: { _id: 1 },
      })
      if (won !== null) return { id: slot._id, token }
    }
    return null
  }

  /** Names the claimed job in the slot; `false` if the slot was taken over meanwhile. */
  async bind(slot: HeldSlot, jobId: string): Promise<boolean> {
    const result = await this.slots.updateOne({ _id: slot.id, holder: slot.token }, { $set: { job: jobId } })
    return result.matchedCount === 1
  }

  /** Gives a slot back (no job of that function was runnable after all). */
  async release(slot: HeldSlot): Promise<void> {
    await this.slots.updateOne(
      { _id: slot.id, holder: slot.token },
      { $set: { holder: null, job: null, at: null } },
    )
  }

  /** The slot ids of a function's limit, created once per process (upserts that race are harmless). */
  async #ensure(namespaces: readonly string[], fn: string, limit: number): Promise<string[]> {
    const scope = JSON.stringify([[...namespaces].sort(), fn])
    const ids = Array.from({ length: limit }, (_, k) => `${scope}#${k}`)
    const key = `${scope}#${limit}`
    if (this.#ensured.has(key)) return ids
    try {
      await this.slots.bulkWrite(
        ids.map((_id) => ({
          updateOne: {
            filter: { _id },
            update: { $setOnInsert: { holder: null, job: null, at: null } },
            upsert: true,
          },
        })),
        { ordered: false },
      )
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err
    }
    this.#ensured.add(key)
    return ids
  }
}

function running(fn: string, input: NormalizedClaimNext, now: number): Document {
  return {
    status: 'started',
    worker: { $ne: null },
    function: eq(fn, 'function'),
    namespace: oneOf(input.namespaces, 'namespace'),
    leaseUntil: { $gt: toDate(now) },
  }
}

/** Does the slot still hold a running job (or a claim in progress that is not too old)? */
function isLive(slot: Document, job: Document | undefined, now: number, graceMs: number): boolean {
  if (slot.holder === null || slot.holder === undefined) return false
  if (slot.job === null || slot.job === undefined) return (toMs(slot.at) ?? 0) > now - graceMs
  if (job === undefined || job.status !== 'started' || job.worker === null) return false
  // A job written before slots existed has no `slot` field: it counts (under-use, never over-use).
  if (job.slot !== undefined && job.slot !== slot.holder) return false
  return (toMs(job.leaseUntil) ?? 0) > now
}
