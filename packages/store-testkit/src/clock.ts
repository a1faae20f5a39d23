import type { Clock } from '@comp-manager/core'

/**
 * Where manual clocks start by default: 2100-01-01T00:00:00Z. Far in the future on purpose, so a
 * backend's own real-time expiry (MongoDB's TTL monitor) never removes a test's records behind its back.
 */
export const MANUAL_CLOCK_START = Date.UTC(2100, 0, 1)

/** A `Clock` that only moves when told to. */
export interface ManualClock extends Clock {
  /** The current time, epoch milliseconds. */
  (): number
  /** Moves the time forward by `ms` (≥ 0) and returns the new time. */
  advance(ms: number): number
  /** Sets the time to `ms` (epoch milliseconds; may go back). */
  set(ms: number): void
}

function assertTime(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${what} must be a finite number ≥ 0, got ${String(value)}`)
  }
}

/**
 * Creates a manual clock for stores that accept one (`{ clock }`), so tests can move time through
 * leases and TTLs without waiting.
 *
 * @example
 * const clock = createManualClock()
 * const store = new MemoryStore({ clock })
 * clock.advance(30_000) // every lease shorter than 30 s has now expired
 */
export function createManualClock(start: number = MANUAL_CLOCK_START): ManualClock {
  assertTime(start, 'start')
  let now = start
  const clock = (() => now) as ManualClock
  clock.advance = (ms: number) => {
    assertTime(ms, 'advance(ms)')
    now += ms
    return now
  }
  clock.set = (ms: number) => {
    assertTime(ms, 'set(ms)')
    now = ms
  }
  return clock
}
