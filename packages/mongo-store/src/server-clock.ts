import type { Clock } from '@comp-manager/core'
import type { Db } from 'mongodb'

/** How often the offset to the server's clock is measured again. */
const RESYNC_MS = 60_000

/**
 * The store's clock in `leaseClock: 'server'` mode: the base clock plus its offset to the server's
 * (`hello.localTime`, measured at `init()` and again every minute, half a round trip exact), so app
 * servers whose clocks differ stamp leases on one time line. Lease expiry is decided by the server
 * itself (`$$NOW`, see `filters.leaseExpired`): an offset that is off by a round trip can delay a
 * takeover, never allow an early one. In `'client'` mode the offset stays 0.
 */
export class ServerClock {
  #offsetMs = 0
  #syncedAt = Number.NEGATIVE_INFINITY
  #syncing: Promise<void> | undefined

  constructor(
    private readonly base: Clock,
    private readonly db: Pick<Db, 'command'>,
    readonly serverMode: boolean,
  ) {}

  /** The offset added to the base clock (server minus client, ms). */
  get offsetMs(): number {
    return this.#offsetMs
  }

  /** Corrected epoch ms; starts a background re-measurement when the last one is old. */
  readonly now: Clock = () => {
    const now = this.base()
    if (this.serverMode && now - this.#syncedAt > RESYNC_MS) void this.sync().catch(() => undefined)
    return now + this.#offsetMs
  }

  /** An instant read on the base clock (a caller's lease deadline) → on the corrected time line. */
  fromBase(ms: number): number {
    return ms + this.#offsetMs
  }

  /** Measures the offset now (one `hello`); a server without `localTime` leaves it at 0. */
  sync(): Promise<void> {
    if (!this.serverMode) return Promise.resolve()
    this.#syncing ??= (async () => {
      try {
        const sent = this.base()
        const hello = await this.db.command({ hello: 1 })
        const received = this.base()
        this.#syncedAt = received
        if (hello.localTime instanceof Date) {
          this.#offsetMs = Math.round(hello.localTime.getTime() - (sent + received) / 2)
        }
      } finally {
        this.#syncing = undefined
      }
    })()
    return this.#syncing
  }
}
