import { type Computation, isCompManagerError, type Store } from '@comp-manager/core'
import { runnerIdentity } from '@comp-manager/core/runs'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { shuttingDownError } from './errors.js'

export interface ShutdownOptions {
  /** How long `close()` waits for in-flight requests, then for this process's running computations. */
  timeoutMs: number
  /** How long requests on already-open connections are still served before they get 503. Default 1 s. */
  graceMs?: number
}

const DEFAULT_GRACE_MS = 1000

function openConnections(server: import('node:net').Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((err, count) => resolve(err ? 0 : count)))
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * The `started` runs of this process (same pid and host) in `namespaces`. Paused runs are left alone:
 * they hold no lease and wait, consistently, for someone to resume or cancel them.
 */
export async function runningHere(store: Store, namespaces: readonly string[]): Promise<Computation[]> {
  const { pid, host } = runnerIdentity()
  const mine: Computation[] = []
  for (let page = 1; ; page++) {
    const result = await store.computations.list({
      namespace: namespaces,
      status: 'started',
      page,
      perPage: 100,
    })
    for (const record of result.data) if (record.pid === pid && record.host === host) mine.push(record)
    if (page >= result.pages) return mine
  }
}

/**
 * Waits (until `deadline`) for this process's running computations to end, then marks the rest `lost`
 * — what any tracker's sweeper would do once their leases expired, done at once: callers waiting for
 * them in other processes stop waiting and run them again (the cache's waiters take over the fill)
 * instead of hanging until the lease runs out. Returns the runs it marked.
 */
export async function settleRuns(
  store: Store,
  namespaces: readonly string[],
  deadline: number,
  log: FastifyBaseLogger,
): Promise<Computation[]> {
  if (namespaces.length === 0) return []
  let runs = await runningHere(store, namespaces)
  if (runs.length > 0 && Date.now() < deadline) {
    log.info({ runs: runs.length }, 'waiting for running computations to end')
    while (runs.length > 0 && Date.now() < deadline) {
      await sleep(Math.min(100, Math.max(1, deadline - Date.now())))
      runs = await runningHere(store, namespaces)
    }
  }
  const { pid, host } = runnerIdentity()
  const marked: Computation[] = []
  for (const run of runs) {
    try {
      marked.push(
        await store.computations.update(run.namespace, run.id, 'started', {
          status: 'lost',
          leaseUntil: null,
          message: `abandoned: process ${pid} on ${host} shut down before the run ended`,
        }),
      )
    } catch (err) {
      // It ended (or was paused) meanwhile: nothing to mark.
      if (isCompManagerError(err, 'CM_ERR_CONFLICT') || isCompManagerError(err, 'CM_ERR_NOT_FOUND')) continue
      log.error({ err, id: run.id }, 'could not mark an abandoned computation lost')
    }
  }
  if (marked.length > 0) {
    log.warn(
      { ids: marked.map((r) => r.id) },
      `marked ${marked.length} running computation(s) lost on shutdown`,
    )
  }
  return marked
}

export interface ShutdownControl {
  /** True once `close()` has been called. */
  readonly closing: boolean
  /** When `close()` was called (epoch ms), or `undefined`. */
  readonly closeStartedAt: number | undefined
}

/**
 * Shutdown behaviour of `buildApp`'s instance, in `app.close()` itself (so a signal handler, a test or
 * a host calling `close()` get the same):
 *
 * 1. `preClose`: for a grace period (`graceMs`, default 1 s; skipped when nothing is connected)
 *    requests are still served, with `connection: close` — including requests a client sent before
 *    the shutdown that the server had not read yet. Then the listening socket stops accepting, idle
 *    connections are closed, and a request arriving on a still-open keep-alive connection gets 503
 *    `CM_ERR_SHUTTING_DOWN`; in-flight requests go on.
 * 2. If they have not finished after `timeoutMs`, their connections are closed.
 * 3. `onClose` (see {@link settleRuns}): running computations of this process get the rest of
 *    `timeoutMs` to end, and are then marked `lost`; then the plugins close (tracker, cache, store).
 *
 * Call it before registering the plugins (its `onRequest` hook must come first) and call the returned
 * `settle` hook installer after them (hooks run last-registered-first on close).
 */
export function installShutdown(fastify: FastifyInstance, options: ShutdownOptions) {
  let closing = false
  let draining = false
  let closeStartedAt: number | undefined
  let drainTimer: NodeJS.Timeout | undefined
  let idleTimer: NodeJS.Timeout | undefined

  fastify.addHook('onRequest', (_request, reply, done) => {
    if (!closing) {
      done()
      return
    }
    reply.header('connection', 'close')
    done(shuttingDownError())
  })

  // Responses sent while draining end their connection, so keep-alive clients do not hold the drain open.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close')
    done(null, payload)
  })

  fastify.addHook('preClose', async () => {
    closeStartedAt = Date.now()
    draining = true
    // Grace period before Fastify closes the listener (Node's server.close() also closes idle
    // connections at once): a request a client already sent on an open keep-alive connection, but
    // that the server has not read yet, counts as idle and would be reset. During the grace period
    // such requests are read and served, with `connection: close`. Skipped when nothing is connected.
    const grace = Math.min(options.graceMs ?? DEFAULT_GRACE_MS, options.timeoutMs)
    if (grace > 0 && fastify.server.listening && (await openConnections(fastify.server)) > 0)
      await sleep(grace)
    closing = true
    idleTimer = setInterval(() => fastify.server.closeIdleConnections?.(), 100)
    idleTimer.unref()
    drainTimer = setTimeout(() => {
      fastify.log.warn(
        `in-flight requests did not finish within ${options.timeoutMs} ms: closing their connections`,
      )
      fastify.server.closeAllConnections?.()
    }, options.timeoutMs)
    drainTimer.unref()
  })

  const control: ShutdownControl = {
    get closing() {
      return closing
    },
    get closeStartedAt() {
      return closeStartedAt
    },
  }

  return {
    control,
    /** Adds the `onClose` hook that settles this process's runs; call it after the store plugin's registration. */
    settleOnClose(store: () => Store | undefined, namespaces: () => readonly string[]) {
      fastify.addHook('onClose', async () => {
        clearTimeout(drainTimer)
        clearInterval(idleTimer)
        const s = store()
        if (s === undefined) return
        const deadline = (closeStartedAt ?? Date.now()) + options.timeoutMs
        try {
          await settleRuns(s, namespaces(), deadline, fastify.log)
        } catch (err) {
          fastify.log.error({ err }, 'could not settle running computations on shutdown')
        }
      })
    },
  }
}
