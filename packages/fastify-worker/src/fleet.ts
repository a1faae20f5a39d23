/**
 * The HTTP workers in the fleet registry (`store.queue.registerWorker`), next to the in-process ones:
 * a claim registers (or refreshes) its worker; a heartbeat refreshes it when its entry is a third of
 * its time to live old, so a worker busy with one long job stays listed.
 */
import type { QueueStore, WorkerInfo, WorkerRegistration } from '@comp-manager/core'
import type { ClaimBody } from './schemas.js'

/** The most workers remembered for refreshing (the registry itself has them all). */
const MAX_REMEMBERED = 10_000

export class Fleet {
  readonly #queue: QueueStore
  readonly #ttlMs: number
  readonly #known = new Map<string, { registration: WorkerRegistration; refreshedAt: number }>()

  constructor(queue: QueueStore, ttlMs: number) {
    this.#queue = queue
    this.#ttlMs = ttlMs
  }

  /** Registers the claiming worker (serving `namespaces`). */
  async claimed(body: ClaimBody, namespaces: readonly string[], host: string): Promise<void> {
    const previous = this.#known.get(body.workerId)?.registration
    const registration: WorkerRegistration = {
      id: body.workerId,
      namespaces,
      functions: body.functions,
      host: body.host ?? host,
      pid: body.pid ?? 0,
      concurrency: body.max ?? 1,
      running: body.running ?? 0,
      startedAt: previous?.startedAt ?? Date.now(),
      version: body.version ?? null,
    }
    await this.#queue.registerWorker(registration, this.#ttlMs)
    this.#remember(registration)
  }

  /** Refreshes a worker seen through a heartbeat, when its entry is getting old. */
  async seen(workerId: string | null): Promise<void> {
    if (workerId === null) return
    const known = this.#known.get(workerId)
    if (known === undefined || Date.now() - known.refreshedAt < this.#ttlMs / 3) return
    await this.#queue.registerWorker(known.registration, this.#ttlMs)
    known.refreshedAt = Date.now()
  }

  /** The live workers of `namespaces` (`undefined`: all), deduplicated, by id. */
  async list(namespaces: readonly string[] | undefined): Promise<WorkerInfo[]> {
    const lists =
      namespaces === undefined
        ? [await this.#queue.listWorkers()]
        : await Promise.all(namespaces.map((ns) => this.#queue.listWorkers(ns)))
    const byId = new Map<string, WorkerInfo>()
    for (const worker of lists.flat()) byId.set(worker.id, worker)
    return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  #remember(registration: WorkerRegistration): void {
    this.#known.delete(registration.id)
    this.#known.set(registration.id, { registration, refreshedAt: Date.now() })
    if (this.#known.size > MAX_REMEMBERED) this.#known.delete(this.#known.keys().next().value as string)
  }
}
