/**
 * The trace context of a submit, kept beside its computation so that the worker running it, in any
 * process and on every attempt, continues the trace: a cache entry of the reserved namespace
 * {@link TRACE_NAMESPACE} (key {@link traceKeyOf}: `<namespace>/<hash>`, the computation hash shared by
 * all attempts of a job, so a retry finds it too; value the W3C `traceparent`, expiring after
 * {@link TRACE_TTL_MS}). Every Store has a cache, so this needs no schema change in any backend.
 */
import { createHash } from 'node:crypto'
import type { Store } from '@comp-manager/core'
import { parseTraceparent } from './tracing.js'

/** The namespace of the trace entries (never one of a token's namespaces unless given on purpose). */
export const TRACE_NAMESPACE = 'comp-manager.traces'
/** A job not started within a day starts a trace of its own. */
export const TRACE_TTL_MS = 24 * 60 * 60 * 1000
/** A worker may claim a job before its submit stored the context: it looks again this many times. */
const READ_ATTEMPTS = 4
const READ_RETRY_MS = 25
/** The longest cache key a store accepts. */
const MAX_KEY_LENGTH = 256

/** The computation whose trace context is kept: its namespace and hash (the same for every attempt). */
export interface TraceRef {
  namespace: string
  hash: string
}

/**
 * The key of a computation's trace entry: `<namespace>/<hash>`, or `<namespace>/sha256:<hex of
 * sha256(hash)>` when that would be longer than a cache key may be (256 characters; always the case
 * for a hash longer than 256 characters).
 */
export function traceKeyOf({ namespace, hash }: TraceRef): string {
  const key = `${namespace}/${hash}`
  if (key.length <= MAX_KEY_LENGTH) return key
  return `${namespace}/sha256:${createHash('sha256').update(hash, 'utf8').digest('hex')}`
}

/** Stores `traceparent` for the computation `ref` (all its attempts continue that trace). */
export async function keepTrace(store: Store, ref: TraceRef, traceparent: string) {
  await store.cache.set({
    namespace: TRACE_NAMESPACE,
    key: traceKeyOf(ref),
    function: 'traceparent',
    functionFull: 'comp-manager/traceparent',
    algorithm: 'none',
    value: JSON.stringify(traceparent),
    ttlMs: TRACE_TTL_MS,
  })
}

/**
 * Removes the trace context kept for `ref` (a new submit of the same computation outside any span
 * must not continue the trace of an earlier one). Resolves to whether an entry was removed.
 */
export async function forgetTrace(store: Store, ref: TraceRef): Promise<boolean> {
  return store.cache.delete(TRACE_NAMESPACE, traceKeyOf(ref))
}

/**
 * The `traceparent` kept for a job's computation, or `null` (none kept, expired, or not a valid
 * `traceparent`: a forged entry is ignored). `fresh`: the job was queued a moment ago, so its submit
 * may still be writing the entry (read again a few times).
 */
export async function readTrace(
  store: Store,
  record: TraceRef & { createdAt: number },
): Promise<string | null> {
  const fresh = Date.now() - record.createdAt < 2000
  const key = traceKeyOf(record)
  for (let attempt = 1; ; attempt++) {
    const entry = await store.cache.get(TRACE_NAMESPACE, key, { touch: false })
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
