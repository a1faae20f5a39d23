import { cmError } from '@comp-manager/core'
import type { Collection, Document } from 'mongodb'
import type { IndexSpec } from './indexes.js'

/** Server code of `listIndexes` on a collection that does not exist (yet, or any more). */
const NAMESPACE_NOT_FOUND = 26

/** One collection and the unique indexes its correctness depends on. */
export interface RequiredIndexes {
  readonly collection: Pick<Collection<Document>, 'listIndexes' | 'collectionName'>
  readonly specs: readonly IndexSpec[]
}

const sameKey = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  JSON.stringify(Object.entries(a)) === JSON.stringify(Object.entries(b))

/** The unique indexes of `required` that the server does not have (matched by keys, not by name). */
export async function missingIndexes(required: RequiredIndexes): Promise<string[]> {
  let present: Document[]
  try {
    present = await required.collection.listIndexes().toArray()
  } catch (err) {
    if ((err as { code?: unknown }).code !== NAMESPACE_NOT_FOUND) throw err
    present = []
  }
  return required.specs
    .filter((spec) => !present.some((index) => index.unique === true && sameKey(index.key, spec.key)))
    .map((spec) => `${required.collection.collectionName}.${spec.name}`)
}

/**
 * Single flight rests on unique indexes: without `{namespace, hash, attempt}` two claimers can both
 * insert the same attempt. They are checked at open and again whenever a claim sees a duplicate
 * outcome (the database was dropped or restored under a running store, or `ensureIndexes: false`
 * without them); while any is missing, claims and creates are refused and the health check is red.
 */
export class IndexGuard {
  #missing: string[] = []

  constructor(
    private readonly required: readonly RequiredIndexes[],
    /** Creates the indexes again (`ensureIndexes: true`), or `undefined` to only check. */
    private readonly recreate: (() => Promise<void>) | undefined,
  ) {}

  /** The missing unique indexes as last checked (`[]` when all are there). */
  get missing(): readonly string[] {
    return this.#missing
  }

  /** Checks every required index with the server; returns the missing ones. */
  async verify(): Promise<readonly string[]> {
    const missing: string[] = []
    for (const required of this.required) missing.push(...(await missingIndexes(required)))
    this.#missing = missing
    return missing
  }

  /**
   * Throws `CM_ERR_STORE_UNAVAILABLE` while an index was found missing (creating the indexes again
   * when `ensureIndexes`, and checking again, first).
   */
  async assertClaimable(): Promise<void> {
    if (this.#missing.length === 0) return
    if (this.recreate !== undefined) await this.recreate().catch(() => undefined)
    if ((await this.verify()).length > 0) this.refuse()
  }

  /**
   * A claim found another document for the attempt it inserted: the unique index is gone. Tries to
   * create the indexes again (this fails while duplicates remain), checks, and throws.
   */
  async duplicateOutcome(): Promise<never> {
    if (this.recreate !== undefined) await this.recreate().catch(() => undefined)
    const missing = await this.verify()
    if (missing.length === 0) this.#missing = ['(a duplicate attempt was inserted meanwhile)']
    return this.refuse()
  }

  private refuse(): never {
    throw cmError(
      'CM_ERR_STORE_UNAVAILABLE',
      `mongo-store refuses to claim: required unique index ${this.#missing.join(', ')} is missing, so single flight cannot be guaranteed; create the indexes (ensureIndexes: true) and retry`,
      { details: { missingIndexes: [...this.#missing] } },
    )
  }
}

/**
 * After inserting an attempt: no other document may hold it. Another one means the unique index is
 * gone; claims are refused (see `IndexGuard`). Of two claimers that both inserted, at most one counts
 * only itself: the later counter sees both.
 *
 * The refused insert is parked rather than deleted: marked `failed` with the refusal as its error and
 * moved off the attempt's key (its `hash` gets a `~refused~<id>` suffix), so the unique index can be
 * built again, and a claimer that already lost to it (its waiters poll it by id) finds a clear refusal
 * instead of a run that vanished.
 */
export async function soleAttemptOrRefuse(
  collection: Pick<Collection<Document & { _id: string }>, 'countDocuments' | 'updateOne'>,
  record: { id: string; namespace: string; hash: string; attempt: number },
  guard: IndexGuard,
  now: Date,
): Promise<void> {
  if (await isSoleAttempt(collection, record)) return
  const message = `refused: another document of attempt ${record.attempt} was inserted, so the unique index {namespace, hash, attempt} is missing; nothing ran`
  await collection.updateOne(
    { _id: record.id, rev: 0 },
    {
      $set: {
        status: 'failed',
        hash: `${record.hash}~refused~${record.id}`,
        error: { name: 'CompManagerError', message, code: 'CM_ERR_STORE_UNAVAILABLE' },
        leaseUntil: null,
        activeSince: null,
        finishedAt: now,
        updatedAt: now,
        rev: 1,
      },
    },
  )
  // After the park: with every duplicate parked, building the index again succeeds.
  await guard.duplicateOutcome()
}

async function isSoleAttempt(
  collection: Pick<Collection<Document & { _id: string }>, 'countDocuments'>,
  record: { namespace: string; hash: string; attempt: number },
): Promise<boolean> {
  const filter = {
    namespace: { $eq: record.namespace },
    hash: { $eq: record.hash },
    attempt: { $eq: record.attempt },
  }
  return (await collection.countDocuments(filter, { readPreference: 'primary', limit: 2 })) <= 1
}

/**
 * Before a claim loses to a run nobody wrote since its insert (`rev` 0): were that insert one of
 * several of the same attempt (the unique index gone), its inserter parks it and refuses, and the
 * loser's caller would wait for a refused run. So the loser checks too, and refuses at once.
 */
export async function confirmLoss(
  collection: Pick<Collection<Document & { _id: string }>, 'countDocuments'>,
  record: { namespace: string; hash: string; attempt: number },
  guard: IndexGuard,
): Promise<void> {
  if (!(await isSoleAttempt(collection, record))) await guard.duplicateOutcome()
}
