import { type Computation, cmError, isCompManagerError } from '@comp-manager/core'
import {
  type ExecuteRunOptions,
  executeRun,
  fromErrorInfo,
  type RunOutcome,
  runnerIdentity,
  waitForRun,
} from '@comp-manager/core/runs'
import { type Call, freshness } from './call.js'
import type { CacheContext } from './context.js'
import { type Found, fillWriters, readEntry, recordedArgs } from './entries.js'
import type { ErrorPhase } from './types.js'

/**
 * The cross-process part of a miss: claim the key's fill run in the store. The winner computes
 * through core's `executeRun` (registered in the cache's `LocalRuns`, so `drain` knows it), which
 * stores the value before the run is `finished`; a loser waits for the winner's run, then reads the
 * entry (finished), rethrows its error (failed), or claims again (lost: the winner's process died and
 * its lease ran out, or it shut down).
 */

/** How a fill ended for the caller that started it. */
export interface FillResult {
  value: unknown
  /** `computed` here, `waited` for another process's run, or `adopted` an entry written meanwhile. */
  source: 'computed' | 'waited' | 'adopted'
}

/** Prefix of the hash of fill runs: keeps them apart from tracker runs of the same function. */
export const FILL_HASH_PREFIX = 'cache:'

/** Claims the fill of `call.key`, computes it or waits for it, until one of them gives a value. */
export async function fill(ctx: CacheContext, call: Call, refresh: boolean): Promise<FillResult> {
  if (ctx.o.singleFlight === 'process') return fillInProcess(ctx, call)
  const { timeoutMs } = call.spec
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs
  const args = recordedArgs(ctx, call.args)
  for (;;) {
    const claim = await claimFill(ctx, call, refresh, args)
    if (claim.won) return runFill(ctx, call, claim.record, claim.previous, args)
    const final = await waitForWinner(ctx, call, claim.record.id, deadline)
    if (final === null) continue // the run was deleted: claim again
    const result = await afterWinner(ctx, call, final)
    if (result !== null) return result
    // 'lost': claim again; one of the waiters wins and computes.
  }
}

/** `singleFlight: 'process'`: compute and store the entry, no fill run (`flight` dedupes in-process). */
async function fillInProcess(ctx: CacheContext, call: Call): Promise<FillResult> {
  const started = performance.now()
  try {
    const value = await call.fn.apply(call.self, call.args)
    const args = call.spec.storeArgs ? recordedArgs(ctx, call.args) : null
    await fillWriters(ctx, call, args).storeResult(value)
    return { value, source: 'computed' }
  } finally {
    ctx.stats.add(call.spec.name, 'fills')
    ctx.stats.add(call.spec.name, 'fillTimeMs', performance.now() - started)
  }
}

function claimFill(ctx: CacheContext, call: Call, refresh: boolean, args: unknown) {
  const { o } = ctx
  const { pid, host } = runnerIdentity()
  return o.store.computations.claim({
    namespace: o.namespace,
    name: call.spec.name,
    function: call.spec.name,
    functionFull: call.spec.functionFull,
    args,
    hash: FILL_HASH_PREFIX + call.key,
    hashAlgorithm: call.algorithm,
    owner: o.owner,
    pid,
    host,
    leaseMs: o.leaseMs,
    onTerminal: 'rerun',
    message: refresh ? 'cache refresh' : 'cache fill',
  })
}

/** The winner's run once it ended, or `null` when it was deleted meanwhile. */
async function waitForWinner(
  ctx: CacheContext,
  call: Call,
  id: string,
  deadline: number | undefined,
): Promise<Computation | null> {
  const { o } = ctx
  const { timeoutMs } = call.spec
  const left = deadline === undefined ? undefined : deadline - Date.now()
  try {
    if (left !== undefined && left <= 0) {
      throw cmError('CM_ERR_TIMEOUT', `run ${id} did not finish within ${timeoutMs} ms`, {
        details: { id, timeoutMs },
      })
    }
    return await waitForRun(o.store.computations, o.namespace, id, {
      clock: o.clock,
      pollMs: o.pollMs,
      maxPollMs: o.maxPollMs,
      ...(left === undefined ? {} : { timeoutMs: left }),
    })
  } catch (err) {
    if (isCompManagerError(err, 'CM_ERR_NOT_FOUND')) return null
    if (isCompManagerError(err, 'CM_ERR_TIMEOUT') && err.details) err.details.key = call.key
    throw err
  }
}

/** What a loser makes of the winner's ended run: its value, its error, or `null` (lost: claim again). */
async function afterWinner(ctx: CacheContext, call: Call, final: Computation): Promise<FillResult | null> {
  const { spec, fn, self, args, key } = call
  if (final.status === 'finished') {
    if (final.result !== null) {
      const found = await readEntry(ctx, key, spec.name, true, false)
      if (found !== null && found.entry.version === spec.versionText) {
        ctx.remember(found.entry, found.value)
        return { value: found.value, source: 'waited' }
      }
    }
    // The winner did not store its result (shouldCache, encoding, size) or it is gone already:
    // compute it here, without storing it.
    return { value: await fn.apply(self, args), source: 'computed' }
  }
  if (final.status === 'failed') {
    throw fromErrorInfo(final.error ?? { name: 'Error', message: `cache fill ${final.id} failed` })
  }
  return null
}

/** The winner of a claim: computes through `executeRun`, which stores the value before `finished`. */
async function runFill(
  ctx: CacheContext,
  call: Call,
  record: Computation,
  previous: Computation | null,
  args: unknown,
): Promise<FillResult> {
  // A run that finished between our read and our claim has already written the entry: use it. The
  // claim says whether the key had a finished run at all; a cold miss (none) skips this read.
  const existing =
    previous?.status === 'finished' ? await readEntry(ctx, call.key, call.spec.name, false, false) : null
  if (
    existing !== null &&
    existing.entry.version === call.spec.versionText &&
    freshness(call.spec, existing.entry.createdAt, ctx.o.clock()) === 'fresh'
  ) {
    return adopt(ctx, call, record, existing)
  }
  let thrown: { error: unknown } | undefined
  const compute = async (stop: AbortSignal) => {
    try {
      return await untilStopped(call.fn.apply(call.self, call.args), stop)
    } catch (error) {
      thrown = { error }
      throw error
    }
  }
  const outcome = await execute(ctx, call, record, compute, fillWriters(ctx, call, args))
  // The caller gets what the function did, even when the run was ended elsewhere meanwhile.
  if (thrown !== undefined) throw thrown.error
  switch (outcome.status) {
    case 'finished':
      return { value: outcome.value, source: 'computed' }
    case 'failed':
      throw outcome.error
    case 'paused':
      throw cmError('CM_ERR_PAUSED', `cache fill ${record.id} was paused`, { details: { id: record.id } })
    default:
      if ('value' in outcome) return { value: outcome.value, source: 'computed' }
      throw outcome.error
  }
}

/** Ends the claimed run with the entry another process wrote meanwhile, and serves that. */
async function adopt(
  ctx: CacheContext,
  call: Call,
  record: Computation,
  existing: Found,
): Promise<FillResult> {
  const ref = { cacheKey: call.key, size: existing.entry.size }
  await execute(ctx, call, record, () => existing.value, { storeResult: async () => ref })
  ctx.remember(existing.entry, existing.value)
  return { value: existing.value, source: 'adopted' }
}

/**
 * `executeRun` of a fill, registered in this process's runs for as long as it executes; `stop` is
 * the run's own switch, which only `drain` pulls (when it gives the run up).
 */
async function execute(
  ctx: CacheContext,
  call: Call,
  record: Computation,
  compute: (stop: AbortSignal) => unknown,
  writers: Pick<ExecuteRunOptions<unknown>, 'storeResult' | 'finishRun'>,
): Promise<RunOutcome<unknown>> {
  const { o } = ctx
  const { run, end } = ctx.runs.start(record.namespace, record.id)
  const started = performance.now()
  try {
    return await executeRun(() => compute(run.controller.signal), {
      store: o.store.computations,
      record,
      leaseMs: o.leaseMs,
      heartbeatMs: o.heartbeatMs,
      clock: o.clock,
      codec: o.codec,
      onError: (err: unknown, during: ErrorPhase) =>
        ctx.error(during, err, { key: call.key, name: call.spec.name }),
      ...writers,
      signal: run.controller.signal,
    })
  } finally {
    end()
    ctx.stats.add(call.spec.name, 'fills')
    ctx.stats.add(call.spec.name, 'fillTimeMs', performance.now() - started)
  }
}

/** The function's result, or the reason of `stop` once it fires first (a fill given up by `drain`). */
function untilStopped<T>(result: T | PromiseLike<T>, stop: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onStop = () => reject(stop.reason)
    stop.addEventListener('abort', onStop, { once: true })
    Promise.resolve(result)
      .then(resolve, reject)
      .finally(() => stop.removeEventListener('abort', onStop))
  })
}
