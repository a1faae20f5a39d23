import { Type } from 'typebox'
import { Compile } from 'typebox/compile'
import type { Computation } from '../domain/schemas.js'
import { NamespaceSchema } from '../domain/schemas.js'
import { cmError, describeType, isCompManagerError } from '../errors/index.js'
import type { CacheStore, ComputationStore } from './ports.js'
import type { CompleteJob } from './queue-ports.js'
import { applyCompletion } from './queue-records.js'
import { assertValueSize, utf8Length } from './records.js'
import { check } from './validate.js'

/** The most jobs one `queue.complete` ends. */
export const MAX_COMPLETE_BATCH = 100

const CompleteJobCheck = Compile(
  Type.Object(
    {
      namespace: NamespaceSchema,
      id: Type.String({ minLength: 1, maxLength: 256 }),
      worker: Type.String({ minLength: 1, maxLength: 256 }),
      value: Type.Union([Type.String(), Type.Null()]),
      ttlMs: Type.Optional(Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()])),
    },
    { additionalProperties: false },
  ),
)

/**
 * Checks a `queue.complete` batch: 1..100 jobs, each well-formed, each value within the store's size
 * limit and encodable as UTF-8 (no lone surrogate: codec output never has one).
 */
export function validateCompleteJobs(jobs: unknown, maxValueBytes: number): asserts jobs is CompleteJob[] {
  if (!Array.isArray(jobs) || jobs.length === 0 || jobs.length > MAX_COMPLETE_BATCH) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `complete takes an array of 1 to ${MAX_COMPLETE_BATCH} jobs, got ${Array.isArray(jobs) ? `${jobs.length} jobs` : describeType(jobs)}`,
      { details: { field: 'jobs' } },
    )
  }
  for (const job of jobs) {
    check(CompleteJobCheck, job, 'complete job')
    if (job.value === null) continue
    if (!(job.value as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      throw cmError('CM_ERR_INVALID_ARGUMENT', 'complete job value contains a lone UTF-16 surrogate', {
        details: { field: 'value' },
      })
    }
    assertValueSize(utf8Length(job.value), maxValueBytes)
  }
}

/**
 * `queue.complete` for a backend without an atomic one (MongoDB: no transactions): per job, the value
 * is stored, then the record ended `finished` by a compare-and-set on `started`, as a worker would
 * do it in two writes.
 */
export async function completeInSteps(
  ports: { cache: CacheStore; computations: ComputationStore; clock: () => number },
  jobs: readonly CompleteJob[],
): Promise<(Computation | null)[]> {
  const out: (Computation | null)[] = []
  for (const job of jobs) {
    const record = await ports.computations.get(job.namespace, job.id)
    const planned = record === null ? null : applyCompletion(record, job, ports.clock())
    if (planned === null) {
      out.push(null)
      continue
    }
    if (planned.entry !== null) await ports.cache.set(planned.entry)
    try {
      const { status, result } = planned.finished
      out.push(await ports.computations.update(job.namespace, job.id, 'started', { status, result }))
    } catch (err) {
      if (!isCompManagerError(err, 'CM_ERR_CONFLICT')) throw err
      out.push(null)
    }
  }
  return out
}
