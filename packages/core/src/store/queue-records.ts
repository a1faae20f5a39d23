import type { Computation } from '../domain/schemas.js'
import { assertTransition, isTerminalStatus } from '../domain/status.js'
import { cmError } from '../errors/index.js'
import type { NewCacheEntry } from './ports.js'
import type { CompleteJob, RetryInput, Schedule, WorkerInfo, WorkerRegistration } from './queue-ports.js'
import type {
  NormalizedClaimNext,
  NormalizedNewJob,
  NormalizedPruneCriteria,
  NormalizedSchedule,
} from './queue-validate.js'
import { DEFAULT_MAX_LOST_RETRIES } from './queue-validate.js'
import {
  applyPatch,
  buildComputation,
  closeActiveSegment,
  isLeaseExpired,
  markLost,
  utf8Length,
} from './records.js'

/**
 * The record logic of the queue port, shared by every Store inside its own atomic section (as
 * `records.ts` is for the computation port): what `enqueue` joins, which job `claimNext` picks and
 * what it writes, what a retry, a requeue and a recovery produce, what `prune` selects.
 */

interface NewRecordContext {
  id: string
  now: number
}

export type EnqueueDecision = { action: 'join'; record: Computation } | { action: 'insert'; attempt: number }

/** What `enqueue` does given the latest attempt of the call's hash. */
export function decideEnqueue(latest: Computation | null, rerun: boolean): EnqueueDecision {
  if (latest === null) return { action: 'insert', attempt: 1 }
  if (!isTerminalStatus(latest.status)) return { action: 'join', record: latest }
  if (latest.status === 'finished' && !rerun) return { action: 'join', record: latest }
  return { action: 'insert', attempt: latest.attempt + 1 }
}

/** A fresh `queued` job record. */
export function buildJob(input: NormalizedNewJob, ctx: NewRecordContext & { attempt: number }): Computation {
  return {
    ...buildComputation(
      {
        namespace: input.namespace,
        ...(input.name === undefined ? {} : { name: input.name }),
        function: input.function,
        functionFull: input.functionFull,
        args: input.args,
        hash: input.hash,
        hashAlgorithm: input.hashAlgorithm,
        status: 'queued',
        owner: input.owner ?? null,
        message: input.message ?? null,
      },
      ctx,
    ),
    priority: input.priority,
    runAt: input.runAt,
    maxAttempts: input.maxAttempts,
  }
}

/**
 * The next attempt of a job (retry, recovery): `queued`, attempt + 1, the same call, priority and
 * `maxAttempts`, the checkpoint kept so the function may resume from it.
 */
export function buildNextAttempt(
  record: Computation,
  ctx: NewRecordContext & { runAt: number | null; message?: string | null },
): Computation {
  return {
    ...buildComputation(
      {
        namespace: record.namespace,
        name: record.name,
        function: record.function,
        functionFull: record.functionFull,
        args: record.args,
        hash: record.hash,
        hashAlgorithm: record.hashAlgorithm,
        status: 'queued',
        message: ctx.message ?? null,
      },
      { id: ctx.id, now: ctx.now, attempt: record.attempt + 1 },
    ),
    checkpoint: record.checkpoint,
    priority: record.priority,
    runAt: ctx.runAt,
    maxAttempts: record.maxAttempts,
  }
}

/** When a queued job becomes claimable: its `runAt`, or its creation for "as soon as possible". */
export const dueAt = (record: Pick<Computation, 'runAt' | 'createdAt'>): number =>
  record.runAt ?? record.createdAt

const compare = (a: number | string, b: number | string): number => (a < b ? -1 : a > b ? 1 : 0)

/** The claim order: priority (higher first), then due time, then creation, then id. */
export function compareJobs(a: Computation, b: Computation): number {
  return (
    b.priority - a.priority ||
    compare(dueAt(a), dueAt(b)) ||
    compare(a.createdAt, b.createdAt) ||
    compare(a.id, b.id)
  )
}

/** True when the record is a job `claimNext` may take now (limits aside). */
export function isClaimable(record: Computation, input: NormalizedClaimNext, now: number): boolean {
  return (
    record.status === 'queued' &&
    dueAt(record) <= now &&
    input.namespaces.includes(record.namespace) &&
    input.functions.includes(record.function)
  )
}

/** True when a record takes one of its function's fleet-wide slots: a claimed job running under a live lease. */
export function holdsSlot(record: Computation, now: number): boolean {
  return record.status === 'started' && record.worker !== null && !isLeaseExpired(record, now)
}

/** The functions of a claim that still have a free fleet-wide slot, given how many of each are running. */
export function functionsWithFreeSlots(
  input: NormalizedClaimNext,
  running: ReadonlyMap<string, number>,
): string[] {
  return input.functions.filter((fn) => {
    const limit = input.limits[fn]
    return limit === undefined || (running.get(fn) ?? 0) < limit
  })
}

/** The claimer's `started`, leased view of the queued job it won. */
export function claimJob(record: Computation, input: NormalizedClaimNext, now: number): Computation {
  assertTransition(record.status, 'started')
  return {
    ...record,
    status: 'started',
    worker: input.worker,
    owner: input.owner,
    pid: input.pid,
    host: input.host,
    startedAt: record.startedAt ?? now,
    heartbeatAt: now,
    leaseUntil: now + input.leaseMs,
    activeSince: now,
    pauseRequestedAt: null,
    updatedAt: now,
  }
}

function assertStatus(record: Computation, expected: Computation['status'], operation: string): void {
  if (record.status !== expected) {
    throw cmError(
      'CM_ERR_CONFLICT',
      `${operation}: computation ${record.id} is '${record.status}', not '${expected}'`,
      { details: { id: record.id, expected, actual: record.status } },
    )
  }
}

/** A retry: the `started` attempt ends `failed`, and its next attempt is queued for `input.runAt`. */
export function applyRetry(
  record: Computation,
  input: RetryInput,
  ctx: NewRecordContext,
): { failed: Computation; next: Computation } {
  assertStatus(record, 'started', 'retry')
  if (record.attempt >= record.maxAttempts) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `retry: computation ${record.id} is attempt ${record.attempt} of ${record.maxAttempts}: no attempt left`,
      { details: { id: record.id, attempt: record.attempt, maxAttempts: record.maxAttempts } },
    )
  }
  const failed = applyPatch(
    record,
    'started',
    {
      status: 'failed',
      error: input.error,
      ...(input.message === undefined ? {} : { message: input.message }),
    },
    ctx.now,
  )
  const message = input.message ?? `retrying: attempt ${record.attempt + 1} of ${record.maxAttempts}`
  return { failed, next: buildNextAttempt(record, { ...ctx, runAt: input.runAt, message }) }
}

/**
 * A completion (`queue.complete`): the cache entry to write (`null` when nothing is stored) and the
 * `finished` record pointing to it; `null` when the record is no longer `started` under `job.worker`.
 */
export function applyCompletion(
  record: Computation,
  job: CompleteJob,
  now: number,
): { finished: Computation; entry: NewCacheEntry | null } | null {
  if (record.status !== 'started' || record.worker !== job.worker) return null
  const entry: NewCacheEntry | null =
    job.value === null
      ? null
      : {
          namespace: record.namespace,
          key: record.hash,
          function: record.function,
          functionFull: record.functionFull,
          version: null,
          algorithm: record.hashAlgorithm,
          args: record.args,
          value: job.value,
          ttlMs: job.ttlMs ?? null,
        }
  const result =
    entry === null
      ? null
      : { cacheKey: entry.key, namespace: entry.namespace, size: utf8Length(job.value ?? '') }
  return { finished: applyPatch(record, 'started', { status: 'finished', result }, now), entry }
}

/** A `started` or `paused` job back in the queue: same attempt, lease and worker cleared, checkpoint kept. */
export function applyRequeue(
  record: Computation,
  expectedStatus: 'started' | 'paused',
  input: { runAt?: number | null; checkpoint?: unknown } | undefined,
  now: number,
): Computation {
  assertStatus(record, expectedStatus, 'requeue')
  assertTransition(record.status, 'queued')
  return {
    ...record,
    ...closeActiveSegment(record, now),
    status: 'queued',
    worker: null,
    owner: null,
    pid: null,
    host: null,
    leaseUntil: null,
    pauseRequestedAt: null,
    runAt: input?.runAt === undefined ? record.runAt : input.runAt,
    checkpoint: input?.checkpoint === undefined ? record.checkpoint : input.checkpoint,
    updatedAt: now,
  }
}

/** True for a claimed job whose lease ran out: `recoverExpired` takes it. */
export function isRecoverable(record: Computation, now: number): boolean {
  return record.worker !== null && isLeaseExpired(record, now)
}

/** A recovery: the job is `lost` and, while it has attempts left, gets a new queued attempt. */
export function applyRecovery(
  record: Computation,
  maxLostRetries: number,
  ctx: NewRecordContext,
): { lost: Computation; next: Computation | null } {
  const lost = markLost(record, ctx.now)
  const retry = record.attempt < record.maxAttempts + maxLostRetries
  const message = `recovered after a lost lease: attempt ${record.attempt + 1}`
  return { lost, next: retry ? buildNextAttempt(record, { ...ctx, runAt: null, message }) : null }
}

/**
 * What `computations.expire` writes (a tracker's sweeper, a waiter noticing the lease ran out): the
 * run is `lost`, and a claimed job (`worker` set) also gets its next attempt, as `recoverExpired`
 * would give it with `maxLostRetries`: the value its claim recorded (`ClaimNextInput.maxLostRetries`),
 * or the default (3) for a job claimed without one. Whoever notices a dead worker first, its job runs
 * again (at-least-once); a run tracked in-process has no next attempt.
 */
export function applyExpiry(
  record: Computation,
  ctx: NewRecordContext,
  maxLostRetries: number | null = null,
): { lost: Computation; next: Computation | null } {
  if (record.worker === null) return { lost: markLost(record, ctx.now), next: null }
  return applyRecovery(record, maxLostRetries ?? DEFAULT_MAX_LOST_RETRIES, ctx)
}

/** Prefix of the hash of a cache fill run (`@comp-manager/cache` records a fill as hash `cache:<key>`). */
export const CACHE_FILL_HASH_PREFIX = 'cache:'

/**
 * The cache entry `prune` deletes with a record: the stored result its `result` points to — but not
 * a cache fill run's (hash `cache:<key>`): that entry is the cache's own data (it lives by the cache's
 * TTL and invalidation, and a refresh rewrote it under the same key), so computation retention leaves
 * it. `null`: no entry goes.
 */
export function prunedResultEntry(
  record: Pick<Computation, 'namespace' | 'hash' | 'result'>,
): { namespace: string; key: string } | null {
  if (record.result === null || record.hash.startsWith(CACHE_FILL_HASH_PREFIX)) return null
  return { namespace: record.result.namespace ?? record.namespace, key: record.result.cacheKey }
}

/** True when a record matches prune criteria, ranking aside (`keepLast`). */
export function matchesPrune(record: Computation, c: NormalizedPruneCriteria): boolean {
  return (
    c.namespaces.includes(record.namespace) &&
    (c.statuses as readonly string[]).includes(record.status) &&
    (c.function === undefined || record.function === c.function || record.functionFull === c.function) &&
    (c.finishedBefore === undefined || (record.finishedAt ?? record.updatedAt) < c.finishedBefore)
  )
}

/**
 * The records `prune` deletes among `candidates` (the terminal records matching namespace,
 * function and statuses): with `keepLast`, all but the newest n (by end time, then id) of each
 * namespace and function; with `finishedBefore`, those that ended before it. Both: both conditions.
 */
export function selectPrunable(
  candidates: readonly Computation[],
  c: NormalizedPruneCriteria,
): Computation[] {
  const ranked = [...candidates].sort(
    (a, b) => compare(b.finishedAt ?? b.updatedAt, a.finishedAt ?? a.updatedAt) || compare(b.id, a.id),
  )
  const seen = new Map<string, number>()
  return ranked.filter((record) => {
    const group = `${record.namespace}\u0000${record.function}`
    const rank = (seen.get(group) ?? 0) + 1
    seen.set(group, rank)
    if (c.keepLast !== undefined && rank <= c.keepLast) return false
    return matchesPrune(record, c)
  })
}

/** A worker's registry entry, as stored. */
export function buildWorkerInfo(info: WorkerRegistration, ttlMs: number, now: number): WorkerInfo {
  return {
    id: info.id,
    namespaces: [...new Set(info.namespaces)],
    functions: [...new Set(info.functions)],
    host: info.host,
    pid: info.pid,
    concurrency: info.concurrency,
    running: info.running,
    startedAt: info.startedAt,
    version: info.version ?? null,
    lastSeenAt: now,
    expiresAt: now + ttlMs,
  }
}

/** A schedule as stored: a replaced one keeps its creation and last firing. */
export function buildSchedule(input: NormalizedSchedule, existing: Schedule | null, now: number): Schedule {
  return {
    namespace: input.namespace,
    name: input.name,
    function: input.function,
    functionFull: input.functionFull,
    args: input.args,
    cron: input.cron,
    everyMs: input.everyMs,
    tz: input.tz,
    nextRunAt: input.nextRunAt,
    priority: input.priority,
    maxAttempts: input.maxAttempts,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
    lastRunAt: existing?.lastRunAt ?? null,
  }
}
