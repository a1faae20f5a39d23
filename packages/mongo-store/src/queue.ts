import { composeQueueBackend, type QueueBackend } from '@comp-manager/core/store-kit'
import type { Collection, Document } from 'mongodb'
import type { StoreContext } from './context.js'
import { MongoJobs } from './queue-jobs.js'
import { MongoQueueRegistry } from './queue-registry.js'

/** The queue backend of `MongoStore`: jobs in the computations collection, plus workers, schedules and the slots of fleet-wide limits. */
export function queueBackend(
  ctx: StoreContext,
  workers: Collection<Document & { _id: string }>,
  schedules: Collection<Document & { _id: string }>,
  slots: Collection<Document & { _id: string }>,
): QueueBackend {
  const jobs = new MongoJobs(ctx, slots)
  const registry = new MongoQueueRegistry(ctx, workers, schedules)
  return composeQueueBackend(jobs, registry, () => ctx.assertOpen())
}
