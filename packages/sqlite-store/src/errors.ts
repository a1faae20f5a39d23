import { type CompManagerError, cmError, isCompManagerError } from '@comp-manager/core'

/**
 * Driver errors → typed `CompManagerError`s. better-sqlite3 throws `SqliteError` with a `code`
 * (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_UNIQUE`, …) and plain `TypeError`/`RangeError` for misuse
 * (closed connection, bad binding). None of them may reach a caller as such.
 */

interface CodedError {
  code?: unknown
  message?: unknown
}

export function sqliteCode(err: unknown): string | undefined {
  const code = (err as CodedError | null)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined
}

/** True for the errors another connection's lock causes: worth retrying later. */
export function isBusy(err: unknown): boolean {
  const code = sqliteCode(err)
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}

function messageOf(err: unknown): string {
  const message = (err as CodedError | null)?.message
  return typeof message === 'string' ? message : String(err)
}

/**
 * Maps any error thrown while talking to SQLite to a `CompManagerError` (the original kept as
 * `cause`). Errors that already are `CompManagerError`s pass through unchanged.
 */
export function toStoreError(err: unknown, operation: string): CompManagerError {
  if (isCompManagerError(err)) return err
  const code = sqliteCode(err)
  const message = messageOf(err)
  const options = { cause: err, details: { operation, ...(code === undefined ? {} : { sqliteCode: code }) } }
  if (code === undefined) {
    if (/database connection is not open/i.test(message)) {
      return cmError(
        'CM_ERR_STORE_UNAVAILABLE',
        `sqlite-store ${operation}: the database connection is closed`,
        options,
      )
    }
    return cmError('CM_ERR_STORE_UNAVAILABLE', `sqlite-store ${operation} failed: ${message}`, options)
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return cmError(
      'CM_ERR_DUPLICATE',
      `sqlite-store ${operation}: a record with the same key already exists`,
      options,
    )
  }
  if (code.startsWith('SQLITE_CONSTRAINT')) {
    return cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `sqlite-store ${operation}: rejected by the schema (${message})`,
      options,
    )
  }
  if (code === 'SQLITE_TOOBIG') {
    return cmError(
      'CM_ERR_VALUE_TOO_LARGE',
      `sqlite-store ${operation}: value exceeds SQLite's size limit`,
      options,
    )
  }
  if (isBusy(err)) {
    return cmError(
      'CM_ERR_STORE_UNAVAILABLE',
      `sqlite-store ${operation}: the database is locked (${code})`,
      options,
    )
  }
  return cmError(
    'CM_ERR_STORE_UNAVAILABLE',
    `sqlite-store ${operation} failed: ${message} (${code})`,
    options,
  )
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Backoff between retries of a locked operation: exponential from 2 ms, capped, jittered. */
export function backoffMs(attempt: number): number {
  const ceiling = Math.min(100, 2 * 2 ** Math.min(attempt, 10))
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

/**
 * Runs a synchronous database step, retrying it asynchronously while the database is locked by
 * another connection (SQLITE_BUSY / SQLITE_LOCKED), until `busyTimeoutMs` has passed.
 *
 * Why not just SQLite's `busy_timeout`: better-sqlite3 is synchronous, so SQLite's busy handler
 * sleeps the whole thread — the event loop, and with it the heartbeats of running computations,
 * would freeze for up to the timeout. The connection keeps a short `busy_timeout` (absorbing brief
 * locks) and the long wait happens here, between event-loop turns, with jittered backoff so
 * processes do not retry in lockstep.
 *
 * `step` must be safe to run again: it is a single statement or a better-sqlite3 transaction,
 * which rolls back when it throws.
 */
export async function withBusyRetry<T>(step: () => T, operation: string, busyTimeoutMs: number): Promise<T> {
  const started = performance.now()
  for (let attempt = 0; ; attempt++) {
    try {
      return step()
    } catch (err) {
      if (!isBusy(err)) throw toStoreError(err, operation)
      const left = busyTimeoutMs - (performance.now() - started)
      if (left <= 0) {
        throw cmError(
          'CM_ERR_STORE_UNAVAILABLE',
          `sqlite-store ${operation}: the database stayed locked by another connection for ${busyTimeoutMs} ms (busyTimeoutMs)`,
          { cause: err, details: { operation, sqliteCode: sqliteCode(err), busyTimeoutMs } },
        )
      }
      await sleep(Math.min(left, backoffMs(attempt)))
    }
  }
}
