import type { QueueBackend } from '@comp-manager/core/store-kit'
import type { Collection, Document } from 'mongodb'
import type { StoreContext } from './context.js'
import { MongoJobs } from './queue-jobs.js'
import { MongoQueueRegistry } from './queue-registry.js'

/** The queue backend of `MongoStore`: jobs in the computations collection, plus workers and schedules. */
export function queueBackend(
  ctx: StoreContext,
  workers: Collection<Document & { _id: string }>,
  schedules: Collection<Document & { _id: string }>,
): QueueBackend {
  const jobs = new MongoJobs(ctx)
  const registry = new MongoQueueRegistry(ctx, workers, schedules)
  return {
    assertOpen: () => ctx.assertOpen(),
    enqueue: (input) => jobs.enqueue(input),
    claimNext: (input) => jobs.claimNext(input),
    retry: (namespace, id, input) => jobs.retry(namespace, id, input),
    requeue: (namespace, id, expected, input) => jobs.requeue(namespace, id, expected, input),
    recoverExpired: (limit, maxLostRetries) => jobs.recoverExpired(limit, maxLostRetries),
    prune: (criteria) => jobs.prune(criteria),
    registerWorker: (info, ttlMs) => registry.registerWorker(info, ttlMs),
    unregisterWorker: (id) => registry.unregisterWorker(id),
    listWorkers: (namespace) => registry.listWorkers(namespace),
    upsertSchedule: (input) => registry.upsertSchedule(input),
    deleteSchedule: (namespace, name) => registry.deleteSchedule(namespace, name),
    listSchedules: (namespaces) => registry.listSchedules(namespaces),
    advanceSchedule: (namespace, name, expected, next) =>
      registry.advanceSchedule(namespace, name, expected, next),
    dueSchedules: (namespaces, limit) => registry.dueSchedules(namespaces, limit),
  }
}
