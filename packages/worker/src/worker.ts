import { randomUUID } from 'node:crypto'
import { cmError, isCompManagerError, type QueueStore, type WorkerInfo } from '@comp-manager/core'
import { Emitter, runnerIdentity } from '@comp-manager/core/runs'
import { Completer } from './completer.js'
import { invalid } from './errors.js'
import type { ResolvedFunction } from './function-options.js'
import { isShutdown, type JobDeps, runJob } from './job.js'
import {
  fireDueSchedules,
  type MaintenanceDeps,
  Periodic,
  prune,
  recoverExpired,
  register,
} from './maintenance.js'
import { type ResolvedWorkerOptions, resolveWorkerOptions, type WorkerOptions } from './options.js'
import { IdleWait } from './poller.js'
import type {
  ErrorDuring,
  JobRecord,
  RunningJob,
  WorkerEventName,
  WorkerEvents,
  WorkerListener,
} from './types.js'
import { onSubmit } from './wake.js'

interface Running {
  record: JobRecord
  fn: ResolvedFunction
  startedAt: number
  controller: AbortController
  done: Promise<void>
  /** Set once the job's hand-back was tried; `handedBack` is its queued record when it worked. */
  released: boolean
  handedBack: JobRecord | null
}

export interface DrainResult {
  /** Jobs that ended by themselves within the timeout. */
  ended: number
  /** Jobs handed back to the queue (`queued` again, checkpoint kept) for another worker. */
  released: JobRecord[]
}

/** How long a stopped job's function gets to honour its signal before its job is handed back anyway. */
const RELEASE_GRACE_MS = 1000
/** The most jobs one claim takes (the queue port's bound). */
const MAX_CLAIM_BATCH = 100

/**
 * Executes queued computations of its functions: claims the next runnable job atomically from the
 * store (priority, run-at, FIFO; per-worker, per-function and fleet-wide limits), runs it through
 * core's run lifecycle with a lease renewed by heartbeats, retries failures with backoff, fires due
 * schedules, recovers the jobs of dead workers and keeps its registry entry fresh. Create it with
 * {@link createWorker}.
 */
export class Worker {
  /** This worker's id in the registry and in the `worker` field of the jobs it claims. */
  readonly id: string
  readonly #o: ResolvedWorkerOptions
  readonly #queue: QueueStore
  readonly #events: Emitter<WorkerEvents>
  readonly #wait: IdleWait
  readonly #running = new Map<string, Running>()
  readonly #perFunction = new Map<string, number>()
  readonly #jobDeps: JobDeps
  readonly #tasks: Periodic[] = []
  #state: 'new' | 'running' | 'draining' | 'closed' = 'new'
  #loop: Promise<void> | undefined
  #startedAt = 0
  #unsubscribe: (() => void) | undefined

  constructor(options: WorkerOptions) {
    this.#o = resolveWorkerOptions(options)
    this.#queue = this.#o.store.queue as QueueStore
    const { host, pid } = runnerIdentity()
    this.id = `${host}:${pid}:${randomUUID().slice(0, 8)}`
    this.#events = new Emitter<WorkerEvents>((err, event) =>
      this.#o.logger.error({ err, event }, `a listener of '${String(event)}' threw`),
    )
    this.#wait = new IdleWait(this.#o.pollMinMs, this.#o.pollMaxMs)
    this.#jobDeps = {
      store: this.#o.store,
      queue: this.#queue,
      completer: new Completer(this.#queue),
      options: this.#o,
      events: this.#events,
      report: (error, during, id) => this.#report(error, during, id),
    }
  }

  /** The namespaces this worker claims from. */
  get namespaces(): readonly string[] {
    return this.#o.namespaces
  }

  /** The jobs running in this worker now. */
  get running(): RunningJob[] {
    return [...this.#running.values()].map(({ record, startedAt }) => ({ record, startedAt }))
  }

  /** Registers the worker and starts claiming. Resolves once it is registered. */
  async start(): Promise<void> {
    if (this.#state !== 'new') {
      throw cmError('CM_ERR_INVALID_TRANSITION', `worker ${this.id} was already started`, {
        details: { id: this.id, state: this.#state },
      })
    }
    this.#state = 'running'
    this.#startedAt = this.#o.clock()
    const deps = this.#maintenanceDeps()
    await register(deps)
    const unsubmit = onSubmit(this.#o.store, () => this.#wait.wake())
    // Another process's submit (or any commit) wakes the idle claim loop at once where the store can tell.
    const unwatch = this.#queue.watch?.(() => this.#wait.wake())
    this.#unsubscribe = () => {
      unsubmit()
      unwatch?.()
    }
    const o = this.#o
    const task = (ms: number, during: ErrorDuring, run: () => Promise<unknown>) =>
      this.#tasks.push(new Periodic(ms, run, (error) => this.#report(error, during)).start())
    task(o.registryIntervalMs, 'register', () => register(deps))
    task(o.recoverIntervalMs, 'recover', () => recoverExpired(deps))
    if (o.scheduleIntervalMs !== false) task(o.scheduleIntervalMs, 'schedule', () => fireDueSchedules(deps))
    if (o.retention !== null) task(o.retention.intervalMs, 'prune', () => prune(deps))
    this.#loop = this.#claimLoop()
  }

  /**
   * Stops claiming and gives running jobs `timeoutMs` (default 30 s) to end; the others are stopped
   * (their `ctx.signal` aborts with `CM_ERR_SHUTTING_DOWN`) and handed back to the queue, checkpoint
   * kept, for another worker. The worker stays registered until `close()`.
   */
  async drain(options: { timeoutMs?: number } = {}): Promise<DrainResult> {
    const timeoutMs = options.timeoutMs ?? 30_000
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))
      invalid('drain', 'timeoutMs', 'must be a number ≥ 0')
    if (this.#state === 'running') this.#state = 'draining'
    this.#wait.wake()
    await this.#loop
    const jobs = [...this.#running.values()]
    const all = Promise.all(jobs.map((job) => job.done))
    await waitAtMost(all, timeoutMs)
    const left = [...this.#running.values()]
    const stop = cmError('CM_ERR_SHUTTING_DOWN', `worker ${this.id} is shutting down`, {
      details: { worker: this.id },
    })
    for (const job of left) job.controller.abort(stop)
    await waitAtMost(Promise.all(left.map((job) => job.done)), RELEASE_GRACE_MS)
    await Promise.all([...this.#running.values()].map((job) => this.#release(job)))
    return {
      ended: jobs.length - left.length,
      released: left.map((job) => job.handedBack).filter((record) => record !== null),
    }
  }

  /** Drains (see {@link drain}), stops the periodic tasks and removes the registry entry. */
  async close(options: { timeoutMs?: number } = {}): Promise<DrainResult> {
    const result = await this.drain(options)
    if (this.#state === 'closed') return result
    this.#state = 'closed'
    this.#unsubscribe?.()
    await Promise.all(this.#tasks.map((task) => task.stop()))
    await this.#queue.unregisterWorker(this.id).catch((error) => this.#report(error, 'register'))
    return result
  }

  /** The live workers of the fleet (this one included), optionally those serving a namespace. */
  listWorkers(namespace?: string): Promise<WorkerInfo[]> {
    return this.#queue.listWorkers(namespace)
  }

  /** Runs the recovery of dead workers' jobs now (it also runs every `recoverIntervalMs`). */
  recover(): Promise<number> {
    return recoverExpired(this.#maintenanceDeps())
  }

  /** Fires the due schedules now (it also runs every `scheduleIntervalMs`). */
  fireSchedules(): Promise<number> {
    return fireDueSchedules(this.#maintenanceDeps())
  }

  /** Prunes as `retention` says, now (it also runs every `retention.intervalMs`). */
  prune(): Promise<number> {
    return prune(this.#maintenanceDeps())
  }

  /** Listens to an event; returns a function that removes the listener. */
  on<E extends WorkerEventName>(event: E, listener: WorkerListener<E>): () => void {
    if (typeof listener !== 'function') invalid('on', 'listener', 'must be a function')
    return this.#events.on(event, listener)
  }

  /** Listens to the next occurrence of an event only; returns a function that removes the listener. */
  once<E extends WorkerEventName>(event: E, listener: WorkerListener<E>): () => void {
    if (typeof listener !== 'function') invalid('once', 'listener', 'must be a function')
    return this.#events.once(event, listener)
  }

  off<E extends WorkerEventName>(event: E, listener: WorkerListener<E>): void {
    this.#events.off(event, listener)
  }

  async #claimLoop(): Promise<void> {
    while (this.#state === 'running') {
      const { functions, max } = this.#claimable()
      if (functions.length === 0) {
        await this.#wait.sleep()
        continue
      }
      let jobs: JobRecord[]
      try {
        jobs = (await this.#queue.claimBatch(this.#claimInput(functions, max))) as JobRecord[]
      } catch (error) {
        this.#report(error, 'claim')
        jobs = []
      }
      if (jobs.length === 0) {
        await this.#wait.sleep()
        continue
      }
      this.#wait.reset()
      if (this.#state !== 'running') {
        // Drain began while the claim was in flight: hand the jobs straight back.
        await Promise.all(jobs.map((job) => this.#requeue(job)))
        break
      }
      for (const job of jobs) this.#launch(job)
    }
  }

  /**
   * The functions with a free slot in this worker (none when the worker is full), and how many jobs
   * one claim may take: the free slots, capped by the fewest free slots of any of those functions so
   * that no batch can exceed a per-function limit.
   */
  #claimable(): { functions: string[]; max: number } {
    let max = this.#o.concurrency - this.#running.size
    const functions: string[] = []
    if (max <= 0) return { functions, max: 0 }
    for (const [name, fn] of this.#o.functions) {
      const free = fn.concurrency - (this.#perFunction.get(name) ?? 0)
      if (free <= 0) continue
      functions.push(name)
      max = Math.min(max, free)
    }
    return { functions, max: Math.min(max, MAX_CLAIM_BATCH) }
  }

  #claimInput(functions: string[], max: number) {
    const { host, pid } = runnerIdentity()
    const limits: Record<string, number> = {}
    for (const name of functions) {
      const limit = this.#o.fleetLimits[name]
      if (limit !== undefined) limits[name] = limit
    }
    return {
      namespaces: this.#o.namespaces,
      functions,
      worker: this.id,
      owner: this.#o.owner ?? this.id,
      pid,
      host,
      leaseMs: this.#o.leaseMs,
      max,
      maxLostRetries: this.#o.maxLostRetries,
      ...(Object.keys(limits).length > 0 ? { limits } : {}),
    }
  }

  #launch(record: JobRecord): void {
    const fn = this.#o.functions.get(record.function) as ResolvedFunction
    const controller = new AbortController()
    const running: Running = {
      record,
      fn,
      startedAt: Date.now(),
      controller,
      done: Promise.resolve(),
      released: false,
      handedBack: null,
    }
    this.#running.set(record.id, running)
    this.#perFunction.set(fn.name, (this.#perFunction.get(fn.name) ?? 0) + 1)
    this.#events.emit('started', { record, resumed: record.checkpoint !== null })
    running.done = runJob(record, fn, this.#jobDeps, controller.signal)
      .then(async (outcome) => {
        if (outcome.status === 'cancelled' && isShutdown(outcome.error)) await this.#release(running)
      })
      .catch((error) => this.#report(error, 'finish', record.id))
      .finally(() => {
        this.#running.delete(record.id)
        this.#perFunction.set(fn.name, (this.#perFunction.get(fn.name) ?? 1) - 1)
        this.#wait.wake()
      })
  }

  /** Hands a job this worker stopped back to the queue (once). */
  async #release(job: Running): Promise<void> {
    if (job.released) return
    job.released = true
    job.handedBack = await this.#requeue(job.record)
  }

  async #requeue(record: JobRecord): Promise<JobRecord | null> {
    try {
      const queued = (await this.#queue.requeue(record.namespace, record.id, 'started')) as JobRecord
      this.#events.emit('released', { record: queued })
      return queued
    } catch (error) {
      // Ended meanwhile (finished, cancelled, lost): nothing to hand back.
      if (!isCompManagerError(error, 'CM_ERR_CONFLICT') && !isCompManagerError(error, 'CM_ERR_NOT_FOUND')) {
        this.#report(error, 'release', record.id)
      }
      return null
    }
  }

  #maintenanceDeps(): MaintenanceDeps {
    return {
      queue: this.#queue,
      options: this.#o,
      events: this.#events,
      report: (error, during, id) => this.#report(error, during, id),
      registration: () => {
        const { host, pid } = runnerIdentity()
        return {
          id: this.id,
          namespaces: this.#o.namespaces,
          functions: [...this.#o.functions.keys()],
          host,
          pid,
          concurrency: this.#o.concurrency,
          running: this.#running.size,
          startedAt: this.#startedAt,
          version: this.#o.version,
        }
      },
    }
  }

  #report(error: unknown, during: ErrorDuring, id?: string): void {
    this.#o.logger.error(
      { err: error, during, ...(id === undefined ? {} : { id }) },
      `worker ${this.id}: ${during} failed`,
    )
    this.#events.emit('error', { error, during, ...(id === undefined ? {} : { id }) })
  }
}

function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    promise.then(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/** Creates a worker (validating every option: `CM_ERR_INVALID_ARGUMENT` naming it). Call `start()`. */
export function createWorker(options: WorkerOptions): Worker {
  return new Worker(options)
}
