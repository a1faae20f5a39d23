import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { shuttingDownError } from './errors.js'
import { watchConnections } from './grace.js'

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

/** Something that runs computations in this process and can give them up on shutdown (tracker, cache, worker). */
export interface Drainable {
  drain(options: { timeoutMs?: number }): Promise<{ lost: readonly unknown[] } | unknown>
}

/**
 * Lets this process's running computations end until `deadline`, then gives up the rest — what a
 * tracker's sweeper would do once their leases expired, done at once: callers waiting for them in other
 * processes stop waiting and run them again (the cache's waiters take over the fill) instead of hanging
 * until the lease runs out. Each drainable knows its own runs: nothing is found by scanning the store.
 */
export async function drainRuns(
  drainables: readonly Drainable[],
  deadline: number,
  log: FastifyBaseLogger,
): Promise<number> {
  const timeoutMs = Math.max(0, deadline - Date.now())
  const results = await Promise.allSettled(drainables.map((d) => d.drain({ timeoutMs })))
  let lost = 0
  for (const result of results) {
    if (result.status === 'rejected') {
      log.error({ err: result.reason }, 'could not give up the running computations on shutdown')
      continue
    }
    const value = result.value as { lost?: unknown }
    if (Array.isArray(value?.lost)) lost += value.lost.length
  }
  if (lost > 0) log.warn(`marked ${lost} running computation(s) lost on shutdown`)
  return lost
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
 * 3. `onClose` (see {@link drainRuns}): running computations of this process get the rest of
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
  const connections = watchConnections(fastify.server)

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
    // such requests are read and served, with `connection: close`; it goes on while clients are still
    // connecting or a fresh connection is unread (see grace.ts). Skipped when nothing is connected.
    const grace = Math.min(options.graceMs ?? DEFAULT_GRACE_MS, options.timeoutMs)
    if (grace > 0 && fastify.server.listening && (await openConnections(fastify.server)) > 0)
      await connections.grace(grace, options.timeoutMs)
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
    /** Adds the `onClose` hook that drains this process's runs; call it after the plugins' registration. */
    settleOnClose(drainables: () => readonly Drainable[]) {
      fastify.addHook('onClose', async () => {
        clearTimeout(drainTimer)
        clearInterval(idleTimer)
        const deadline = (closeStartedAt ?? Date.now()) + options.timeoutMs
        await drainRuns(drainables(), deadline, fastify.log)
      })
    },
  }
}
