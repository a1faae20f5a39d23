import type { Schedule, WorkerInfo, WorkerRegistration } from '@comp-manager/core'
import { buildSchedule, buildWorkerInfo, type NormalizedSchedule } from '@comp-manager/core/store-kit'
import type { Collection, Document } from 'mongodb'
import { PRIMARY, type StoreContext } from './context.js'
import { decodeJson, encodeJson } from './documents.js'
import { eq, oneOf } from './filters.js'
import { toMs } from './timestamps.js'

/** The worker registry and the repeat schedules of `MongoStore`, each in its own collection. */
export class MongoQueueRegistry {
  constructor(
    private readonly ctx: StoreContext,
    private readonly workers: Collection<Document & { _id: string }>,
    private readonly schedules: Collection<Document & { _id: string }>,
  ) {}

  async registerWorker(info: WorkerRegistration, ttlMs: number): Promise<WorkerInfo> {
    return this.ctx.run('queue.registerWorker', async () => {
      const entry = buildWorkerInfo(info, ttlMs, this.ctx.clock())
      await this.workers.deleteMany({ expiresAt: { $lte: new Date(entry.lastSeenAt) } })
      const { id, lastSeenAt, expiresAt, startedAt, ...rest } = entry
      await this.workers.replaceOne(
        { _id: id },
        {
          ...rest,
          startedAt: new Date(startedAt),
          lastSeenAt: new Date(lastSeenAt),
          expiresAt: new Date(expiresAt),
        },
        { upsert: true },
      )
      return entry
    })
  }

  async unregisterWorker(id: string): Promise<boolean> {
    return this.ctx.run(
      'queue.unregisterWorker',
      async () => (await this.workers.deleteOne({ _id: id })).deletedCount > 0,
    )
  }

  async listWorkers(namespace: string | undefined): Promise<WorkerInfo[]> {
    return this.ctx.run('queue.listWorkers', async () => {
      const filter: Document = { expiresAt: { $gt: new Date(this.ctx.clock()) } }
      if (namespace !== undefined) filter.namespaces = eq(namespace, 'namespace')
      const docs = await this.workers.find(filter, PRIMARY).sort({ _id: 1 }).toArray()
      return docs.map(toWorker)
    })
  }

  async upsertSchedule(input: NormalizedSchedule): Promise<Schedule> {
    return this.ctx.run('queue.upsertSchedule', async () => {
      const _id = scheduleId(input.namespace, input.name)
      const existing = await this.schedules.findOne({ _id: _id }, PRIMARY)
      const s = buildSchedule(input, existing === null ? null : toSchedule(existing), this.ctx.clock())
      await this.schedules.replaceOne({ _id: _id }, toScheduleDoc(s), { upsert: true })
      return s
    })
  }

  async deleteSchedule(namespace: string, name: string): Promise<boolean> {
    return this.ctx.run(
      'queue.deleteSchedule',
      async () => (await this.schedules.deleteOne({ _id: scheduleId(namespace, name) })).deletedCount > 0,
    )
  }

  async listSchedules(namespaces: readonly string[]): Promise<Schedule[]> {
    return this.ctx.run('queue.listSchedules', async () =>
      (
        await this.schedules
          .find({ namespace: oneOf(namespaces, 'namespace') }, PRIMARY)
          .sort({ namespace: 1, name: 1 })
          .toArray()
      ).map(toSchedule),
    )
  }

  async advanceSchedule(
    namespace: string,
    name: string,
    expected: number,
    nextRunAt: number,
  ): Promise<boolean> {
    return this.ctx.run('queue.advanceSchedule', async () => {
      const now = new Date(this.ctx.clock())
      const result = await this.schedules.updateOne(
        { _id: scheduleId(namespace, name), nextRunAt: new Date(expected) },
        { $set: { nextRunAt: new Date(nextRunAt), lastRunAt: now, updatedAt: now } },
      )
      return result.modifiedCount === 1
    })
  }

  async dueSchedules(namespaces: readonly string[], limit: number): Promise<Schedule[]> {
    return this.ctx.run('queue.dueSchedules', async () =>
      (
        await this.schedules
          .find(
            { namespace: oneOf(namespaces, 'namespace'), nextRunAt: { $lte: new Date(this.ctx.clock()) } },
            PRIMARY,
          )
          .sort({ nextRunAt: 1, namespace: 1, name: 1 })
          .limit(limit)
          .toArray()
      ).map(toSchedule),
    )
  }
}

/** One id per namespace and name (a namespace never contains a NUL). */
const scheduleId = (namespace: string, name: string): string => `${namespace}\u0000${name}`

const ms = (value: unknown): number => toMs(value) ?? 0

function toWorker(doc: Document): WorkerInfo {
  return {
    id: String(doc._id),
    namespaces: doc.namespaces as string[],
    functions: doc.functions as string[],
    host: String(doc.host),
    pid: Number(doc.pid),
    concurrency: Number(doc.concurrency),
    running: Number(doc.running),
    startedAt: ms(doc.startedAt),
    version: typeof doc.version === 'string' ? doc.version : null,
    lastSeenAt: ms(doc.lastSeenAt),
    expiresAt: ms(doc.expiresAt),
  }
}

function toScheduleDoc(s: Schedule): Document {
  return {
    namespace: s.namespace,
    name: s.name,
    function: s.function,
    functionFull: s.functionFull,
    argsJson: encodeJson(s.args ?? null, 'args'),
    cron: s.cron,
    everyMs: s.everyMs,
    tz: s.tz,
    nextRunAt: new Date(s.nextRunAt),
    priority: s.priority,
    maxAttempts: s.maxAttempts,
    createdAt: new Date(s.createdAt),
    updatedAt: new Date(s.updatedAt),
    lastRunAt: s.lastRunAt === null ? null : new Date(s.lastRunAt),
  }
}

function toSchedule(doc: Document): Schedule {
  return {
    namespace: String(doc.namespace),
    name: String(doc.name),
    function: String(doc.function),
    functionFull: String(doc.functionFull),
    args: decodeJson(doc.argsJson, 'argsJson', doc._id),
    cron: typeof doc.cron === 'string' ? doc.cron : null,
    everyMs: typeof doc.everyMs === 'number' ? doc.everyMs : null,
    tz: typeof doc.tz === 'string' ? doc.tz : null,
    nextRunAt: ms(doc.nextRunAt),
    priority: Number(doc.priority),
    maxAttempts: Number(doc.maxAttempts),
    createdAt: ms(doc.createdAt),
    updatedAt: ms(doc.updatedAt),
    lastRunAt: toMs(doc.lastRunAt),
  }
}
