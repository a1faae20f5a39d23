import type { Connection } from './connection.js'

/** How often an idle watcher reads `PRAGMA data_version` (a read of shared memory: microseconds). */
export const WATCH_INTERVAL_MS = 5

/**
 * Tells listeners soon after another connection — another process, another store on the file —
 * commits a change: `PRAGMA data_version` differs from the last reading exactly then. Read every
 * `WATCH_INTERVAL_MS` on an unref'd timer while anyone listens, so an idle worker starts a job
 * submitted by another process within a few ms, without polling the queue itself.
 */
export class ChangeWatch {
  readonly #conn: Connection
  readonly #listeners = new Set<() => void>()
  #timer: ReturnType<typeof setInterval> | undefined
  #last: unknown

  constructor(conn: Connection) {
    this.#conn = conn
  }

  watch(listener: () => void): () => void {
    this.#listeners.add(listener)
    if (this.#timer === undefined) {
      this.#last = this.#version()
      this.#timer = setInterval(() => this.#check(), WATCH_INTERVAL_MS)
      this.#timer.unref?.()
    }
    return () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0) this.#stop()
    }
  }

  #version(): unknown {
    return this.#conn.db.pragma('data_version', { simple: true })
  }

  #check(): void {
    if (!this.#conn.db.open) {
      this.#stop()
      return
    }
    let version: unknown
    try {
      version = this.#version()
    } catch {
      return // locked or closing: the next tick reads again
    }
    if (version === this.#last) return
    this.#last = version
    for (const listener of [...this.#listeners]) listener()
  }

  #stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}
