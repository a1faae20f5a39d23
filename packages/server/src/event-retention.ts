import type { EventLogStore } from '@comp-manager/core'
import type { FastifyInstance } from 'fastify'
import {
  DEFAULT_EVENTS_MAX_COUNT,
  DEFAULT_EVENTS_PRUNE_INTERVAL_MS,
  DEFAULT_EVENTS_RETENTION_MS,
  type EventRetentionConfig,
} from './config/events.js'

/**
 * The periodic prune of the store's event log (`store.events.prune`): nothing else bounds it. One pass
 * when the app is ready, then one every `intervalMs` on an unref'd timer; a pass still running when
 * the next is due makes that one skipped (never two at once); a failing pass is logged (warn) and the
 * next one tries again; `close()` stops the timer and waits for the pass in progress, before the store
 * closes. Every instance of a fleet may prune: the passes delete the same events, whichever runs.
 */
export interface EventRetention {
  /** What is kept, or `null` when off (`EVENTS_PRUNE_ENABLED=false`, or a store without an event log). */
  readonly config: EventRetentionConfig | null
  /** Whether the timer runs (between `onReady` and `close()`). */
  readonly active: boolean
  /** Passes completed (failed ones included), skipped (one was still running), events deleted in all. */
  readonly stats: { passes: number; failures: number; skipped: number; pruned: number }
  /** Runs a pass now, or waits for the one in progress; resolves with the events it deleted (0 on failure). */
  runNow(): Promise<number>
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by `@comp-manager/server`'s `buildApp`: the periodic prune of the event log. */
    compEventRetention: EventRetention
  }
}

class PeriodicPrune implements EventRetention {
  readonly config: EventRetentionConfig | null
  readonly stats = { passes: 0, failures: 0, skipped: 0, pruned: 0 }
  readonly #events: EventLogStore | undefined
  readonly #log: FastifyInstance['log']
  #timer: ReturnType<typeof setInterval> | undefined
  #running: Promise<number> | undefined

  constructor(
    config: EventRetentionConfig | null,
    events: EventLogStore | undefined,
    log: FastifyInstance['log'],
  ) {
    this.config = events === undefined ? null : config
    this.#events = events
    this.#log = log
  }

  get active(): boolean {
    return this.#timer !== undefined
  }

  start(): void {
    const config = this.config
    if (config === null || this.#timer !== undefined) return
    this.#timer = setInterval(() => {
      if (this.#running !== undefined) {
        this.stats.skipped++
        return
      }
      void this.runNow()
    }, config.intervalMs)
    this.#timer.unref()
    void this.runNow()
  }

  runNow(): Promise<number> {
    if (this.#running !== undefined) return this.#running
    const config = this.config
    const events = this.#events
    if (config === null || events === undefined) return Promise.resolve(0)
    this.#running = this.#pass(events, config).finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #pass(events: EventLogStore, config: EventRetentionConfig): Promise<number> {
    try {
      const pruned = await events.prune({ maxAgeMs: config.maxAgeMs, maxCount: config.maxCount })
      this.stats.pruned += pruned
      if (pruned > 0) this.#log.debug({ pruned }, 'pruned the event log')
      return pruned
    } catch (err) {
      this.stats.failures++
      this.#log.warn({ err }, 'pruning the event log failed')
      return 0
    } finally {
      this.stats.passes++
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#running
  }
}

/** The defaults of `config.events` when it is absent. */
const defaults: EventRetentionConfig = {
  maxAgeMs: DEFAULT_EVENTS_RETENTION_MS,
  maxCount: DEFAULT_EVENTS_MAX_COUNT,
  intervalMs: DEFAULT_EVENTS_PRUNE_INTERVAL_MS,
}

/**
 * Decorates `app.compEventRetention` and runs it from `onReady` to `preClose` (the store is still open
 * then). `config`: absent, the defaults; `null`, off. Needs `app.compStore` (`@comp-manager/fastify-store`).
 */
export function registerEventRetention(
  app: FastifyInstance,
  config: EventRetentionConfig | null | undefined,
): void {
  const prune = new PeriodicPrune(config === undefined ? defaults : config, app.compStore.events, app.log)
  app.decorate('compEventRetention', prune)
  app.addHook('onReady', async () => prune.start())
  app.addHook('preClose', async () => prune.stop())
}
