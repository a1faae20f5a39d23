import type { Computation } from '../domain/schemas.js'
import { cmError } from '../errors/index.js'
import type { ComputationStore } from '../store/ports.js'
import { runnerIdentity } from './identity.js'
import { loseRun } from './lifecycle.js'

/** A run executing in this process: its stop switch and when it is over. */
export interface LocalRun {
  readonly namespace: string
  readonly id: string
  /** Aborting it stops the run's function (`ctx.signal`) with the reason given. */
  readonly controller: AbortController
  /** Resolves when the run's execution is over here (however it ended). */
  readonly done: Promise<void>
}

export interface DrainOptions {
  /** How long running runs may take to end before they are given up (`lost`). Default 0: at once. */
  timeoutMs?: number
}

export interface DrainResult {
  /** Runs that ended by themselves within the timeout. */
  ended: number
  /** Runs given up: marked `lost` (their waiters in other processes stop waiting and run them again). */
  lost: Computation[]
}

/**
 * The runs this process is executing, known without asking the store: the tracker and the cache each
 * keep one, so `drain()` waits for exactly their runs and gives up the rest.
 */
export class LocalRuns {
  readonly #store: ComputationStore
  readonly #runs = new Map<string, LocalRun>()

  constructor(store: ComputationStore) {
    this.#store = store
  }

  get size(): number {
    return this.#runs.size
  }

  get(id: string): LocalRun | undefined {
    return this.#runs.get(id)
  }

  /** Registers a run about to execute; call the returned function when its execution is over. */
  start(namespace: string, id: string): { run: LocalRun; end: () => void } {
    let end!: () => void
    const done = new Promise<void>((resolve) => (end = resolve))
    const run: LocalRun = { namespace, id, controller: new AbortController(), done }
    this.#runs.set(id, run)
    return {
      run,
      end: () => {
        if (this.#runs.get(id) === run) this.#runs.delete(id)
        end()
      },
    }
  }

  /**
   * Waits up to `timeoutMs` for the running runs to end, then marks the others `lost` (what a sweeper
   * would do once their leases expired, done at once) and stops their functions with `CM_ERR_LOST`.
   */
  async drain(options: DrainOptions = {}): Promise<DrainResult> {
    const running = [...this.#runs.values()]
    if (running.length === 0) return { ended: 0, lost: [] }
    const timeoutMs = options.timeoutMs ?? 0
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, timeoutMs))
    })
    await Promise.race([Promise.all(running.map((run) => run.done)), timeout])
    clearTimeout(timer)
    const left = running.filter((run) => this.#runs.get(run.id) === run)
    const { pid, host } = runnerIdentity()
    const lost: Computation[] = []
    for (const run of left) {
      const message = `abandoned: process ${pid} on ${host} shut down before the run ended`
      const record = await loseRun(this.#store, run.namespace, run.id, message).catch(() => null)
      if (record !== null) lost.push(record)
      run.controller.abort(
        cmError('CM_ERR_LOST', `run ${run.id} was given up: this process is shutting down`, {
          details: { id: run.id },
        }),
      )
    }
    return { ended: running.length - left.length, lost }
  }
}
