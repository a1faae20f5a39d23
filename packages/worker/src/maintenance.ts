import type { QueueStore, Schedule, WorkerRegistration } from '@comp-manager/core'
import { callHash, type Emitter } from '@comp-manager/core/runs'
import type { ResolvedWorkerOptions } from './options.js'
import { nextRunAfter } from './schedule.js'
import type { ErrorDuring, JobRecord, WorkerEvents } from './types.js'

/**
 * A task run every `intervalMs` on an unref'd timer, never twice at once; `stop()` waits for the
 * run in progress.
 */
export class Periodic {
  readonly #intervalMs: number
  readonly #task: () => Promise<unknown>
  readonly #onError: (error: unknown) => void
  #timer: ReturnType<typeof setTimeout> | undefined
  #running: Promise<void> | undefined
  #stopped = false

  constructor(intervalMs: number, task: () => Promise<unknown>, onError: (error: unknown) => void) {
    this.#intervalMs = intervalMs
    this.#task = task
    this.#onError = onError
  }

  /** Runs the task now, then every interval. */
  start(): this {
    void this.runNow()
    return this
  }

  /** Runs the task now (or waits for the run in progress). */
  runNow(): Promise<void> {
    if (this.#running) return this.#running
    clearTimeout(this.#timer)
    this.#running = this.#task()
      .then(
        () => {},
        (error) => this.#onError(error),
      )
      .finally(() => {
        this.#running = undefined
        if (this.#stopped) return
        this.#timer = setTimeout(() => void this.runNow(), this.#intervalMs)
        this.#timer.unref?.()
      })
    return this.#running
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#running
  }
}

export interface MaintenanceDeps {
  queue: QueueStore
  options: ResolvedWorkerOptions
  events: Emitter<WorkerEvents>
  report(error: unknown, during: ErrorDuring, id?: string): void
  registration(): WorkerRegistration
}

/** Marks `lost` the jobs of dead workers (expired leases) and queues their next attempts. */
export async function recoverExpired(deps: MaintenanceDeps): Promise<number> {
  let recovered = 0
  for (let round = 0; round < 10; round++) {
    const batch = await deps.queue.recoverExpired({ limit: 100, maxLostRetries: deps.options.maxLostRetries })
    for (const { lost, next } of batch) {
      deps.events.emit('lost', { record: lost as JobRecord, next: next as JobRecord | null })
    }
    recovered += batch.length
    if (batch.length < 100) break
  }
  return recovered
}

/**
 * Fires the due schedules: the compare-and-set of `nextRunAt` lets exactly one worker of the fleet
 * fire each due time; the winner queues the job (joining a run of it still in progress).
 */
export async function fireDueSchedules(deps: MaintenanceDeps): Promise<number> {
  const { queue, options } = deps
  let fired = 0
  const due = await queue.dueSchedules(options.namespaces, { limit: 100 })
  for (const schedule of due) {
    try {
      if (await fireOne(schedule, deps)) fired++
    } catch (error) {
      deps.report(error, 'schedule')
    }
  }
  return fired
}

async function fireOne(schedule: Schedule, deps: MaintenanceDeps): Promise<boolean> {
  const { queue, options } = deps
  const now = options.clock()
  const repeat =
    schedule.cron === null
      ? { everyMs: schedule.everyMs as number }
      : { cron: schedule.cron, tz: schedule.tz ?? null }
  const next = nextRunAfter(repeat, Math.max(now, schedule.nextRunAt))
  const won = await queue.advanceSchedule(schedule.namespace, schedule.name, schedule.nextRunAt, next)
  if (!won) return false
  const args = options.codec.decode(schedule.args)
  const hash = callHash({
    functionFull: schedule.functionFull,
    args: args as unknown[],
    codec: options.codec,
  })
  await queue.enqueue({
    namespace: schedule.namespace,
    name: schedule.name,
    function: schedule.function,
    functionFull: schedule.functionFull,
    args: schedule.args,
    hash: hash.key,
    hashAlgorithm: hash.algorithm,
    priority: schedule.priority,
    maxAttempts: schedule.maxAttempts,
    rerun: true,
    message: `fired by schedule ${schedule.name}`,
  })
  return true
}

/** Deletes old terminal records (and their stored results) as the `retention` option says. */
export async function prune(deps: MaintenanceDeps): Promise<number> {
  const retention = deps.options.retention
  if (retention === null) return 0
  return deps.queue.prune({
    namespace: deps.options.namespaces,
    statuses: retention.statuses,
    batchSize: retention.batchSize,
    ...(retention.maxAgeMs === undefined
      ? {}
      : { finishedBefore: deps.options.clock() - retention.maxAgeMs }),
    ...(retention.keepLast === undefined ? {} : { keepLast: retention.keepLast }),
  })
}

/** Refreshes this worker's registry entry (it expires after three missed refreshes). */
export async function register(deps: MaintenanceDeps): Promise<void> {
  await deps.queue.registerWorker(deps.registration(), deps.options.registryIntervalMs * 3)
}
