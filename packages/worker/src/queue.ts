import {
  type Computation,
  cmError,
  type QueueStore,
  type Schedule,
  type WorkerInfo,
} from '@comp-manager/core'
import { defineOptions, NameSchema } from '@comp-manager/core/options'
import { callHash, cancelRun, fromErrorInfo, requestPause, waitForRun } from '@comp-manager/core/runs'
import { Type } from 'typebox'
import { invalid, PACKAGE } from './errors.js'
import {
  type QueueOptions,
  type ResolvedQueueOptions,
  resolveQueueOptions,
  resolveScheduleOptions,
  resolveSubmitOptions,
  type ScheduleOptions,
  type SubmitOptions,
} from './queue-options.js'
import { nextRunAfter } from './schedule.js'
import type { JobRecord } from './types.js'
import { notifySubmit } from './wake.js'

/** What `submit` returns: the job's id and a way to wait for its result. */
export interface JobHandle<T = unknown> {
  /** The id of the job's record (the joined one when the call was already queued or running). */
  readonly id: string
  /** The record as `submit` left it. */
  readonly record: JobRecord
  /** `false` when an existing job of the same call was joined (or its finished result returned). */
  readonly created: boolean
  /**
   * Waits for the job (following its retries) and resolves to its decoded result; rejects with the
   * error of its last attempt (`CM_ERR_CANCELLED` for a cancelled job, `CM_ERR_LOST` when its worker
   * died and no attempt is left), or `CM_ERR_TIMEOUT` after `timeoutMs`.
   */
  result(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<T>
}

const FunctionNameParser = defineOptions(Type.Object({ fn: NameSchema(512) }), {
  package: PACKAGE,
  what: 'submit()',
})

/**
 * Submits computations to the workers of a namespace, from any process holding the Store: `submit`
 * (duplicates joined by hash), `schedule` (cron or fixed interval, fired once per due time across the
 * fleet), and the controls `cancel`, `pause`, `resume`. Create it with {@link createQueue}.
 */
export class Queue {
  readonly namespace: string
  readonly #o: ResolvedQueueOptions
  readonly #queue: QueueStore

  constructor(options: QueueOptions) {
    this.#o = resolveQueueOptions(options)
    this.namespace = this.#o.namespace
    this.#queue = this.#o.store.queue as QueueStore
  }

  /**
   * Queues a call of `fn` (a function name the workers register) with `args` (an argument list,
   * codec-encodable). A call that is queued or running is joined (same id); a finished one returns
   * its record (and `result()` its stored value) unless `rerun`. Bad input is
   * `CM_ERR_INVALID_ARGUMENT` (or the codec's error for arguments it cannot encode), nothing written.
   */
  async submit<T = unknown>(
    fn: string,
    args: readonly unknown[] = [],
    options?: SubmitOptions,
  ): Promise<JobHandle<T>> {
    FunctionNameParser.parse({ fn })
    if (!Array.isArray(args)) invalid('submit()', 'args', 'must be an array (the argument list)')
    const o = resolveSubmitOptions(options, this.#o.clock())
    await this.#assertKnown(fn)
    const { codec } = this.#o
    const encoded = codec.encode([...args])
    const hash = callHash({ functionFull: fn, args, codec })
    const { record, created } = await this.#queue.enqueue({
      namespace: this.namespace,
      name: o.name ?? fn,
      function: fn,
      functionFull: fn,
      args: encoded,
      hash: hash.key,
      hashAlgorithm: hash.algorithm,
      priority: o.priority ?? 0,
      runAt: o.runAt,
      maxAttempts: o.attempts ?? this.#o.attempts,
      ...(o.rerun === undefined ? {} : { rerun: o.rerun }),
      ...(o.owner === undefined ? {} : { owner: o.owner }),
    })
    if (created) notifySubmit(this.#o.store)
    return this.#handle<T>(record as JobRecord, created)
  }

  /** A handle on an existing job (to wait for its result). `CM_ERR_NOT_FOUND` when absent. */
  async job<T = unknown>(id: string): Promise<JobHandle<T>> {
    return this.#handle<T>(await this.#require(id), false)
  }

  /** The job's record, or `null`. */
  async get(id: string): Promise<JobRecord | null> {
    return (await this.#o.store.computations.get(this.namespace, id)) as JobRecord | null
  }

  /**
   * Cancels a job: a queued one leaves the queue, a running one's `ctx.signal` aborts (within one
   * heartbeat, in whichever worker runs it). The record becomes `failed` with `CM_ERR_CANCELLED`.
   */
  async cancel(id: string, reason = 'cancelled with queue.cancel()'): Promise<JobRecord> {
    if (typeof reason !== 'string') invalid('cancel()', 'reason', 'must be a string')
    return (await cancelRun(this.#o.store.computations, this.namespace, id, { reason })) as JobRecord
  }

  /**
   * Asks a running job to pause: its function sees `ctx.signal` abort with `CM_ERR_PAUSED` within one
   * heartbeat, saves a checkpoint and stops; the record is then `paused`, free of any worker.
   */
  async pause(id: string): Promise<JobRecord> {
    const computations = this.#o.store.computations
    return (await requestPause(computations, this.namespace, id, { clock: this.#o.clock })) as JobRecord
  }

  /** Puts a paused job back in the queue: any worker with its function resumes it from its checkpoint. */
  async resume(id: string, options: { runAt?: number | null } = {}): Promise<JobRecord> {
    const record = (await this.#queue.requeue(this.namespace, id, 'paused', options)) as JobRecord
    notifySubmit(this.#o.store)
    return record
  }

  /**
   * Creates or replaces a repeat schedule: `fn(...args)` is queued at each due time (`cron` or
   * `every`), by exactly one worker of the fleet. A firing while the previous run of the same call is
   * still queued or running joins it rather than piling up.
   */
  async schedule(
    name: string,
    fn: string,
    args: readonly unknown[],
    options: ScheduleOptions,
  ): Promise<Schedule> {
    const o = resolveScheduleOptions(name, options)
    FunctionNameParser.parse({ fn })
    if (!Array.isArray(args)) invalid('schedule()', 'args', 'must be an array (the argument list)')
    await this.#assertKnown(fn)
    const encoded = this.#o.codec.encode([...args])
    const now = this.#o.clock()
    const everyMs = o.every ?? null
    const tz = o.cron === undefined || o.tz === undefined || o.tz === 'UTC' ? null : o.tz
    const repeat = o.cron === undefined ? { everyMs: everyMs as number } : { cron: o.cron, tz }
    return this.#queue.upsertSchedule({
      namespace: this.namespace,
      name,
      function: fn,
      functionFull: fn,
      args: encoded,
      cron: o.cron ?? null,
      everyMs,
      tz,
      nextRunAt: o.startAt ?? nextRunAfter(repeat, now),
      priority: o.priority ?? 0,
      maxAttempts: o.attempts ?? this.#o.attempts,
    })
  }

  /** Removes a schedule; `false` if there was none of that name. */
  unschedule(name: string): Promise<boolean> {
    if (typeof name !== 'string') invalid('unschedule()', 'name', 'must be a string')
    return this.#queue.deleteSchedule(this.namespace, name)
  }

  /** This namespace's schedules. */
  schedules(): Promise<Schedule[]> {
    return this.#queue.listSchedules(this.namespace)
  }

  /** The live workers serving this namespace. */
  listWorkers(): Promise<WorkerInfo[]> {
    return this.#queue.listWorkers(this.namespace)
  }

  async #assertKnown(fn: string): Promise<void> {
    const known = this.#o.functions
    if (known === undefined) return
    const names =
      known === 'registered' ? (await this.listWorkers()).flatMap((worker) => worker.functions) : known
    if (names.includes(fn)) return
    throw cmError(
      'CM_ERR_UNKNOWN_FUNCTION',
      `no worker of namespace ${this.namespace} runs a function named ${JSON.stringify(fn.slice(0, 100))}`,
      { details: { function: fn, namespace: this.namespace } },
    )
  }

  async #require(id: string): Promise<JobRecord> {
    const record = await this.get(id)
    if (record === null) {
      throw cmError('CM_ERR_NOT_FOUND', `no job ${id} in namespace ${this.namespace}`, { details: { id } })
    }
    return record
  }

  #handle<T>(record: JobRecord, created: boolean): JobHandle<T> {
    return { id: record.id, record, created, result: (options) => this.#result<T>(record, options) }
  }

  /** Waits for the job's last attempt and returns its decoded result (or throws its error). */
  async #result<T>(first: JobRecord, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
    const { store, clock, pollMs } = this.#o
    const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs
    let id = first.id
    for (;;) {
      const record = await waitForRun(store.computations, this.namespace, id, {
        clock,
        pollMs,
        maxPollMs: Math.max(pollMs, 1000),
        expireLeases: false,
        ...(deadline === undefined ? {} : { timeoutMs: Math.max(0, deadline - Date.now()) }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      })
      if (record.status === 'finished') return this.#decodeResult<T>(record)
      const latest = await store.computations.getByHash(this.namespace, record.hash)
      if (latest !== null && latest.attempt > record.attempt) {
        id = latest.id
        continue
      }
      throw endedError(record)
    }
  }

  async #decodeResult<T>(record: Computation): Promise<T> {
    const ref = record.result
    if (ref === null) return undefined as T
    const entry = await this.#o.store.cache.get(ref.namespace ?? this.namespace, ref.cacheKey)
    if (entry === null) {
      throw cmError(
        'CM_ERR_NOT_FOUND',
        `the result of job ${record.id} is no longer stored (expired or pruned)`,
        {
          details: { id: record.id, cacheKey: ref.cacheKey },
        },
      )
    }
    return this.#o.codec.parse(entry.value) as T
  }
}

/** The error a job ended with, for the caller of `result()`. */
function endedError(record: Computation): Error {
  if (record.status === 'lost') {
    return cmError('CM_ERR_LOST', `job ${record.id} was lost (its worker died) and has no attempt left`, {
      details: { id: record.id },
    })
  }
  const info = record.error
  if (info?.code === 'CM_ERR_CANCELLED') {
    return cmError('CM_ERR_CANCELLED', `job ${record.id} was cancelled: ${info.message}`, {
      details: { id: record.id },
    })
  }
  return info === null ? new Error(`job ${record.id} failed`) : fromErrorInfo(info)
}

/** Creates a queue handle on a namespace (validating every option: `CM_ERR_INVALID_ARGUMENT` naming it). */
export function createQueue(options: QueueOptions): Queue {
  return new Queue(options)
}
