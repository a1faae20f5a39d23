/**
 * `createHttpWorker`: runs functions for the fleet from a process that reaches it only over HTTP,
 * through the worker protocol (docs/WORKER-PROTOCOL.md): long-poll claims, heartbeats with progress and
 * checkpoints, complete/fail, pause and cancel requests honoured, a graceful `stop()`.
 */
import { defaultCodec } from '@comp-manager/core/codec'
import { type CompManagerClient, createClient } from './client.js'
import { isApiError } from './errors.js'
import type { ClientOptions } from './options.js'
import type { ClaimedJob } from './types.js'

/** What a function run by an HTTP worker sees, after its decoded arguments. */
export interface HttpJobContext {
  readonly id: string
  readonly attempt: number
  /** Aborts when the job must stop: cancelled, paused, its lease lost, or the worker stopping. */
  readonly signal: AbortSignal
  /** The state saved before a pause or a shutdown, when this run is a resumption. */
  readonly resumeState: unknown
  /** Progress 0..1 (sent with the next heartbeat). */
  progress(fraction: number, note?: string): void
  /** A status message (sent with the next heartbeat). */
  message(text: string): void
  /** Resumable state, sent with the next heartbeat and when the job is given back. */
  checkpoint(state: unknown): void
}

// biome-ignore lint/suspicious/noExplicitAny: a registered function takes any argument list
export type HttpJobFunction = (...args: any[]) => unknown

export interface HttpWorkerOptions
  extends Pick<ClientOptions, 'baseUrl' | 'token' | 'apiKey' | 'fetch' | 'namespace'> {
  /** The functions, by name; each gets the job's decoded arguments, then an {@link HttpJobContext}. */
  functions: Record<string, HttpJobFunction>
  /** Stable id of this worker (default `http-<random>`). */
  workerId?: string
  /** Jobs run at once. Default 1. */
  concurrency?: number
  /** Long-poll of each claim, ms. Default 10 000. */
  waitMs?: number
  /** Lease of each job, ms. Default: the server's (30 s). */
  leaseMs?: number
  /** Whether a thrown error is worth another attempt (when the job has attempts left). Default: always. */
  retryable?: (error: unknown) => boolean
  /** Called for what could not be reported (the server unreachable…). Default: nothing. */
  onError?: (error: unknown) => void
  /** Shown in the fleet listing. */
  version?: string
}

/** Why a job's signal aborted. */
type StopReason = 'cancel' | 'pause' | 'lost' | 'shutdown'

class Running {
  readonly controller = new AbortController()
  reason: StopReason | undefined
  pending: { progress?: { fraction: number; note?: string }; message?: string; checkpoint?: unknown } = {}
  lastCheckpoint: unknown
  constructor(readonly job: ClaimedJob) {}
  stop(reason: StopReason): void {
    this.reason ??= reason
    this.controller.abort(new Error(`job ${this.job.id}: ${reason}`))
  }
}

export class HttpWorker {
  readonly id: string
  readonly #o: HttpWorkerOptions
  readonly #client: CompManagerClient
  readonly #running = new Map<string, { run: Running; done: Promise<void> }>()
  readonly #stopping = new AbortController()
  #loop: Promise<void> | undefined
  #slotFreed: (() => void) | undefined

  constructor(options: HttpWorkerOptions) {
    const names = Object.keys(options.functions ?? {})
    if (names.length === 0)
      throw new TypeError(
        '@comp-manager/client createHttpWorker: `functions` must name at least one function',
      )
    this.#o = options
    this.id = options.workerId ?? `http-${Math.random().toString(36).slice(2, 10)}`
    this.#client = createClient({
      baseUrl: options.baseUrl,
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    })
  }

  /** The jobs running now. */
  get running(): number {
    return this.#running.size
  }

  /** Starts claiming. */
  start(): this {
    this.#loop ??= this.#claimLoop()
    return this
  }

  /**
   * Stops claiming, lets the running jobs finish for up to `timeoutMs` (default 10 s), then gives the
   * rest back to the queue (`release` with reason `shutdown` and their last checkpoint).
   */
  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#stopping.abort()
    this.#slotFreed?.()
    await this.#loop?.catch(() => undefined)
    const timeoutMs = options.timeoutMs ?? 10_000
    let timer: ReturnType<typeof setTimeout> | undefined
    const all = Promise.all([...this.#running.values()].map((r) => r.done))
    await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
    clearTimeout(timer)
    for (const { run } of this.#running.values()) run.stop('shutdown')
    await all
  }

  async #claimLoop(): Promise<void> {
    const concurrency = this.#o.concurrency ?? 1
    const signal = this.#stopping.signal
    while (!signal.aborted) {
      const free = concurrency - this.#running.size
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.#slotFreed = resolve))
        continue
      }
      let jobs: ClaimedJob[]
      try {
        jobs = await this.#client.workers.claim(
          {
            workerId: this.id,
            functions: Object.keys(this.#o.functions),
            max: Math.min(free, 32),
            waitMs: this.#o.waitMs ?? 10_000,
            running: this.#running.size,
            ...(this.#o.leaseMs === undefined ? {} : { leaseMs: this.#o.leaseMs }),
            ...(this.#o.version === undefined ? {} : { version: this.#o.version }),
          },
          { signal, timeoutMs: (this.#o.waitMs ?? 10_000) + 30_000 },
        )
      } catch (err) {
        if (signal.aborted) return
        this.#o.onError?.(err)
        await new Promise((resolve) => setTimeout(resolve, 1000))
        continue
      }
      for (const job of jobs) this.#startJob(job)
    }
  }

  #startJob(job: ClaimedJob): void {
    const run = new Running(job)
    const done = this.#execute(run).finally(() => {
      this.#running.delete(job.id)
      this.#slotFreed?.()
      this.#slotFreed = undefined
    })
    this.#running.set(job.id, { run, done })
  }

  async #execute(run: Running): Promise<void> {
    const { job } = run
    const beat = setInterval(() => void this.#heartbeat(run), job.heartbeatMs)
    try {
      const fn = this.#o.functions[job.function]
      if (fn === undefined) throw new Error(`this worker has no function ${job.function}`)
      const args = defaultCodec.decode(job.args) as unknown[]
      const resumeState = job.checkpoint === null ? undefined : defaultCodec.decode(job.checkpoint)
      run.lastCheckpoint = job.checkpoint === null ? undefined : resumeState
      const ctx: HttpJobContext = {
        id: job.id,
        attempt: job.attempt,
        signal: run.controller.signal,
        resumeState,
        progress: (fraction, note) => {
          run.pending.progress = note === undefined ? { fraction } : { fraction, note }
        },
        message: (text) => {
          run.pending.message = text
        },
        checkpoint: (state) => {
          run.lastCheckpoint = state
          run.pending.checkpoint = defaultCodec.encode(state)
        },
      }
      let value: unknown
      try {
        value = await fn(...args, ctx)
      } catch (error) {
        await this.#ended(run, error)
        return
      }
      if (run.reason === 'cancel' || run.reason === 'lost') return
      await this.#client.workers.complete(job.id, job.leaseToken, value)
    } catch (err) {
      if (!(isApiError(err) && err.code === 'CM_ERR_LEASE_LOST')) this.#o.onError?.(err)
    } finally {
      clearInterval(beat)
    }
  }

  /** The function threw: a stop we asked for is a release; anything else a failure. */
  async #ended(run: Running, error: unknown): Promise<void> {
    const { job } = run
    if (run.reason === 'cancel' || run.reason === 'lost') return
    if (run.reason === 'pause' || run.reason === 'shutdown') {
      const checkpoint =
        run.lastCheckpoint === undefined ? {} : { checkpoint: defaultCodec.encode(run.lastCheckpoint) }
      await this.#client.workers.release(job.id, {
        leaseToken: job.leaseToken,
        reason: run.reason,
        ...checkpoint,
      })
      return
    }
    const e = error instanceof Error ? error : new Error(String(error))
    const retryable = (this.#o.retryable ?? (() => true))(error)
    await this.#client.workers.fail(
      job.id,
      job.leaseToken,
      {
        name: e.name || 'Error',
        message: e.message.slice(0, 65_536),
        ...(e.stack ? { stack: e.stack.slice(0, 65_536) } : {}),
      },
      retryable,
    )
  }

  async #heartbeat(run: Running): Promise<void> {
    if (run.controller.signal.aborted) return
    const pending = run.pending
    run.pending = {}
    try {
      const answer = await this.#client.workers.heartbeat(run.job.id, {
        leaseToken: run.job.leaseToken,
        ...pending,
      })
      if (answer.requested === 'cancel') run.stop('cancel')
      else if (answer.requested === 'pause') run.stop('pause')
    } catch (err) {
      if (isApiError(err) && (err.code === 'CM_ERR_LEASE_LOST' || err.code === 'CM_ERR_NOT_FOUND'))
        run.stop('lost')
      else {
        run.pending = { ...pending, ...run.pending }
        this.#o.onError?.(err)
      }
    }
  }
}

/** Creates (and does not start) an HTTP worker: `createHttpWorker({ baseUrl, token, functions }).start()`. */
export function createHttpWorker(options: HttpWorkerOptions): HttpWorker {
  return new HttpWorker(options)
}
