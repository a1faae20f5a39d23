import { type Computation, runningTimeMs } from '@comp-manager/core'
import type { ComputationDto, ComputationSummaryDto } from './schemas.js'

const iso = (ms: number): string => new Date(ms).toISOString()
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms))

/**
 * A record as the REST API returns it (`ComputationDtoSchema`): timestamps as ISO 8601 strings (`null`
 * when unset), `runningTimeMs` derived at `now`, `args`/`checkpoint` as stored (codec-encoded JSON).
 */
export function toDto(record: Computation, now: number = Date.now()): ComputationDto {
  return {
    id: record.id,
    namespace: record.namespace,
    name: record.name,
    function: record.function,
    functionFull: record.functionFull,
    args: record.args,
    hash: record.hash,
    hashAlgorithm: record.hashAlgorithm,
    attempt: record.attempt,
    status: record.status,
    pid: record.pid,
    host: record.host,
    owner: record.owner,
    message: record.message,
    error: record.error,
    progress: record.progress,
    result: record.result,
    checkpoint: record.checkpoint,
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
    startedAt: isoOrNull(record.startedAt),
    finishedAt: isoOrNull(record.finishedAt),
    pausedAt: isoOrNull(record.pausedAt),
    heartbeatAt: isoOrNull(record.heartbeatAt),
    leaseUntil: isoOrNull(record.leaseUntil),
    pauseRequestedAt: isoOrNull(record.pauseRequestedAt),
    priority: record.priority,
    runAt: isoOrNull(record.runAt),
    maxAttempts: record.maxAttempts,
    worker: record.worker,
    runningTimeMs: runningTimeMs(record, now),
    schemaVersion: record.schemaVersion,
  }
}

/** A record for the event stream: the DTO without `args` and `checkpoint` (which may weigh megabytes). */
export function toSummary(record: Computation, now: number = Date.now()): ComputationSummaryDto {
  const { args: _args, checkpoint: _checkpoint, ...summary } = toDto(record, now)
  return summary
}
