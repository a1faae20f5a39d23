import { statSync } from 'node:fs'
import { type CompManagerError, cmError } from '@comp-manager/core'

/** What went wrong with the database file itself (not with one request). */
export type StoreFault = 'full' | 'readonly' | 'io' | 'corrupt' | 'moved'

export interface FaultState {
  fault: StoreFault
  message: string
  sqliteCode: string | undefined
}

/** The fault a SQLite error code reveals, or undefined for an error of one statement (constraint, busy…). */
export function faultOfCode(code: string | undefined): StoreFault | undefined {
  if (code === undefined) return undefined
  if (code === 'SQLITE_FULL') return 'full'
  if (code.startsWith('SQLITE_READONLY')) return code === 'SQLITE_READONLY_DBMOVED' ? 'moved' : 'readonly'
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')) return 'io'
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt'
  return undefined
}

const describe: Record<StoreFault, string> = {
  full: 'the disk (or max_page_count) is full',
  readonly: 'the database file is read-only',
  io: 'the disk failed to read or write the database file',
  corrupt: 'the database file is corrupt',
  moved: 'the database file was deleted or replaced since it was opened',
}

export function faultMessage(fault: StoreFault): string {
  return describe[fault]
}

export function faultError(operation: string, state: FaultState, cause?: unknown): CompManagerError {
  return cmError('CM_ERR_STORE_UNAVAILABLE', `sqlite-store ${operation}: ${state.message}`, {
    ...(cause === undefined ? {} : { cause }),
    details: {
      operation,
      fault: state.fault,
      ...(state.sqliteCode === undefined ? {} : { sqliteCode: state.sqliteCode }),
    },
  })
}

/**
 * The identity (device and inode) of the database file as opened. A file deleted or replaced under an
 * open connection still takes writes — into an inode no later process will ever open — so every
 * write first checks that the path still names the file the connection holds.
 */
export class FileIdentity {
  readonly #path: string
  readonly #dev: number
  readonly #ino: number

  private constructor(path: string, dev: number, ino: number) {
    this.#path = path
    this.#dev = dev
    this.#ino = ino
  }

  /** Undefined for an in-memory or temporary database (nothing on disk to lose track of). */
  static of(path: string): FileIdentity | undefined {
    if (path === '' || path === ':memory:') return undefined
    const stat = statSync(path, { throwIfNoEntry: false })
    return stat === undefined ? undefined : new FileIdentity(path, stat.dev, stat.ino)
  }

  /** True while the path still names the opened file. */
  intact(): boolean {
    const stat = statSync(this.#path, { throwIfNoEntry: false })
    return stat !== undefined && stat.dev === this.#dev && stat.ino === this.#ino
  }
}
