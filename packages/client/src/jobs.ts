/**
 * Jobs from anywhere: `submit()` (a handle with `result()`, `watch()`, `cancel()`), the control
 * actions `cancel | pause | resume | retry`, and `result(id)` (fetched, then decoded with the codec).
 */
import { defaultCodec } from '@comp-manager/core/codec'
import type { Core } from './core.js'
import { decodeComputation, type ValueDecoder } from './decode.js'
import { watch } from './events.js'
import { type CallOptions, required, type WatchOptions } from './options.js'
import { routes } from './routes.js'
import type {
  Computation,
  ComputationEvent,
  ComputationSummary,
  CreateComputation,
  PauseAnswer,
  SubmittedComputation,
} from './types.js'

/** Options of `submit(fn, args, options)`. */
export interface SubmitOptions extends CallOptions {
  /** -1000..1000, higher first. Default 0. */
  priority?: number
  /** Not claimed before this time. */
  runAt?: Date | string
  /** Attempts in all (1..100): a retryable failure with attempts left runs again. Default 1. */
  attempts?: number
  /** Run again a call that already finished (a queued or running one is joined). */
  rerun?: boolean
  /** Display name of the record. */
  name?: string
}

/** What `submit` returns: the job and ways to follow it. */
export interface JobHandle<T = unknown> {
  readonly id: string
  /** The record as the server answered (`deduplicated`: an existing job of the same call was joined). */
  readonly record: SubmittedComputation
  /** `false` when the same call was already queued, running or finished, and that job was joined. */
  readonly created: boolean
  /**
   * Waits for the job to end (through its event stream) and resolves to its decoded result. A retried
   * job is followed: when an attempt ends `failed` or `lost` and a later attempt of the same call
   * exists (a retryable failure with attempts left, a dead worker's job queued again), it waits for
   * that one, and so on. Rejects with the `ApiError` of `GET /result` of the last attempt when that
   * one failed (409, the error in `details.error`) or was lost.
   */
  result(options?: WatchOptions): Promise<T>
  /** Its live events (`status`, `progress`, then `end`) — of this attempt (`id`) only. */
  watch(options?: WatchOptions): AsyncGenerator<ComputationEvent, void, void>
  /** Cancels it (queued: leaves the queue; running: its worker is told at its next heartbeat). */
  cancel(reason?: string, options?: CallOptions): Promise<Computation>
}

export interface JobsApi {
  /**
   * Queues `fn(...args)` for the workers (`args` encoded with the codec: BigInt, Map, Date… travel
   * exactly). Identical calls are joined. Never retried.
   */
  submit<T = unknown>(fn: string, args?: readonly unknown[], options?: SubmitOptions): Promise<JobHandle<T>>
  /** Ends a queued, started or paused run as cancelled. */
  cancel(id: string, reason?: string, options?: CallOptions): Promise<Computation>
  /**
   * Asks a running run to pause: `outcome` is `paused`, or `pause_requested` while its runner has not
   * stopped it (the run is still `started`, and may finish without pausing).
   */
  pause(id: string, options?: CallOptions): Promise<PauseAnswer>
  /** Puts a paused job back in the queue (any worker resumes it from its checkpoint). */
  resume(id: string, options?: CallOptions): Promise<Computation>
  /** Queues a new attempt of a failed or lost job; resolves to the new record. */
  retry(id: string, options?: CallOptions): Promise<Computation>
  /** The decoded result of a finished run (`ApiError` 404 before it finished, 409 when it failed). */
  result<T = unknown>(id: string, options?: CallOptions): Promise<T>
  /**
   * The attempt of the same call that came after `run` (a summary with `hash` and `attempt`, as an
   * event carries it), or `null` when `run` is the latest: after a retryable failure or a lost run,
   * the attempt queued in its place.
   */
  nextAttempt(
    run: Pick<ComputationSummary, 'id' | 'hash' | 'attempt'>,
    options?: CallOptions,
  ): Promise<ComputationSummary | null>
}

/** What encodes arguments: the client's codec when it can encode, else core's default. */
function encoderOf(codec: ValueDecoder): { encode(value: unknown): unknown; decode(tree: unknown): unknown } {
  const full = codec as Partial<{ encode(value: unknown): unknown }>
  return typeof full.encode === 'function' ? (codec as typeof defaultCodec) : defaultCodec
}

const decode = { decode: decodeComputation }

/**
 * Follows a job through its attempts: waits for the end of attempt `id` (its event stream); when it
 * ended neither finished nor deleted, looks up the latest attempt of the same call (`GET /computations
 * ?hash=`) and, when that is a later one, waits for it in turn. Returns the id of the attempt that
 * ended last. A retry is written atomically (the failed attempt and its successor together; MongoDB
 * inserts the successor first), so the successor exists by the time the `end` event is sent.
 */
async function lastAttempt(jobs: JobsApi, core: Core, first: string, opts: WatchOptions): Promise<string> {
  let id = first
  for (;;) {
    let ended: ComputationSummary | null = null
    for await (const event of watch(core, id, opts)) {
      if (event.type === 'end') ended = event.data
    }
    if (ended === null || ended.status === 'finished') return id
    const next = await jobs.nextAttempt(ended, opts)
    if (next === null) return id
    id = next.id
  }
}

async function nextAttempt(
  core: Core,
  run: Pick<ComputationSummary, 'id' | 'hash' | 'attempt'>,
  opts: CallOptions | undefined,
): Promise<ComputationSummary | null> {
  const query = { ...core.query(opts), hash: run.hash, sort: '-createdAt' as const, per_page: 1 }
  const page = (await core.call(opts, (init) =>
    core.api.GET(routes.computations, { params: { query }, ...init }),
  )) as { data: ComputationSummary[] }
  const latest = page.data[0]
  return latest === undefined || latest.id === run.id || latest.attempt <= run.attempt ? null : latest
}

export function jobsApi(core: Core): JobsApi {
  const { api } = core
  const one = (id: string, opts: CallOptions | undefined) => ({
    path: { id: required(id, 'id') },
    query: core.query(opts),
  })
  const post =
    (route: typeof routes.pause | typeof routes.resume | typeof routes.retry) =>
    async (id: string, opts?: CallOptions): Promise<Computation> => {
      const params = one(id, opts)
      return core.call(opts, (init) => api.POST(route, { params, ...init }), decode) as Promise<Computation>
    }
  const jobs: JobsApi = {
    async submit<T>(fn: string, args: readonly unknown[] = [], opts: SubmitOptions = {}) {
      required(fn, 'fn')
      if (!Array.isArray(args))
        throw new TypeError('@comp-manager/client: `args` must be an array (the argument list)')
      const { priority, runAt, attempts, rerun, name, ...call } = opts
      const body = core.withNamespace<CreateComputation>({
        function: fn,
        args: encoderOf(core.config.codec).encode([...args]) as unknown[],
        ...(priority === undefined ? {} : { priority }),
        ...(runAt === undefined ? {} : { runAt: new Date(runAt).toISOString() }),
        ...(attempts === undefined ? {} : { attempts }),
        ...(rerun === undefined ? {} : { rerun }),
        ...(name === undefined ? {} : { name }),
      })
      const record = (await core.call(call, (init) => api.POST(routes.computations, { body, ...init }), {
        retries: 0,
      })) as SubmittedComputation
      const scope: CallOptions = record.namespace === undefined ? {} : { namespace: record.namespace }
      const handle: JobHandle<T> = {
        id: record.id,
        record,
        created: !record.deduplicated,
        async result(watchOpts) {
          const opts = { ...scope, ...watchOpts }
          return jobs.result<T>(await lastAttempt(jobs, core, record.id, opts), opts)
        },
        watch: (watchOpts) => watch(core, record.id, { ...scope, ...watchOpts }),
        cancel: (reason, cancelOpts) => jobs.cancel(record.id, reason, { ...scope, ...cancelOpts }),
      }
      return handle
    },
    async cancel(id, reason, opts) {
      const params = one(id, opts)
      const body = reason === undefined ? {} : { reason }
      return core.call(
        opts,
        (init) => api.POST(routes.cancel, { params, body, ...init }),
        decode,
      ) as Promise<Computation>
    },
    pause: post(routes.pause) as JobsApi['pause'],
    resume: post(routes.resume),
    retry: post(routes.retry),
    nextAttempt: (run, opts) => nextAttempt(core, run, opts),
    async result<T>(id: string, opts?: CallOptions): Promise<T> {
      const params = one(id, opts)
      const data = await core.call(opts, (init) => api.GET(routes.result, { params, ...init }))
      return encoderOf(core.config.codec).decode(data) as T
    },
  }
  return jobs
}
