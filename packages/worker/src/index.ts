/**
 * `@comp-manager/worker`: queued computations executed by a fleet of worker processes, on any Store
 * with a queue port (MemoryStore, SqliteStore, MongoStore). `createWorker` runs registered functions;
 * `createQueue` submits and schedules calls of them from any process.
 */
export { type Backoff, backoffDelay, defaultBackoff } from './backoff.js'
export { isRetryableByDefault } from './job.js'
export type { ResolvedWorkerOptions, WorkerLogger, WorkerOptions } from './options.js'
export { createQueue, type JobHandle, Queue } from './queue.js'
export type { QueueOptions, ScheduleOptions, SubmitOptions } from './queue-options.js'
export { assertCron, assertTimeZone, nextRunAfter, type Repeat } from './schedule.js'
export type * from './types.js'
export { createWorker, type DrainResult, Worker } from './worker.js'
