/**
 * The trace context of a submit, kept beside its job so that the worker running it, in any process,
 * continues the trace: a cache entry of the reserved namespace {@link TRACE_NAMESPACE} (key
 * `<namespace>/<job id>`, value the W3C `traceparent`, expiring after {@link TRACE_TTL_MS}). Every
 * Store has a cache, so this needs no schema change in any backend.
 */
import type { Store } from '@comp-manager/core'
import { parseTraceparent } from './tracing.js'

/** The namespace of the trace entries (never one of a token's namespaces unless given on purpose). */
export const TRACE_NAMESPACE = 'comp-manager.traces'
/** A job not started within a day starts a trace of its own. */
export const TRACE_TTL_MS = 24 * 60 * 60 * 1000
/** A worker may claim a job before its submit stored the context: it looks again this many times. */
const READ_ATTEMPTS = 4
const READ_RETRY_MS = 25

const keyOf = (namespace: string, id: string) => `${namespace}/${id}`

/** Stores `traceparent` for the job `id` of `namespace`. */
export async function keepTrace(store: Store, namespace: string, id: string, traceparent: string) {
  await store.cache.set({
    namespace: TRACE_NAMESPACE,
    key: keyOf(namespace, id),
    function: 'traceparent',
    functionFull: 'comp-manager/traceparent',
    algorithm: 'none',
    value: JSON.stringify(traceparent),
    ttlMs: TRACE_TTL_MS,
  })
}

/**
 * The `traceparent` kept for a job, or `null` (none kept, expired, or not a valid `traceparent`:
 * a forged entry is ignored). `fresh`: the job was queued a moment ago, so its submit may still be
 * writing the entry (read again a few times).
 */
export async function readTrace(
  store: Store,
  record: { namespace: string; id: string; createdAt: number },
): Promise<string | null> {
  const fresh = Date.now() - record.createdAt < 2000
  for (let attempt = 1; ; attempt++) {
    const entry = await store.cache.get(TRACE_NAMESPACE, keyOf(record.namespace, record.id), { touch: false })
    if (entry !== null) {
      let value: unknown
      try {
        value = JSON.parse(entry.value)
      } catch {
        return null
      }
      return parseTraceparent(value) === null ? null : (value as string)
    }
    if (!fresh || attempt >= READ_ATTEMPTS) return null
    await new Promise((resolve) => setTimeout(resolve, READ_RETRY_MS * attempt))
  }
}
