/** Exit codes of `comp-manager`. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** The server answered with an error, could not be reached, or the command failed. */
  error: 1,
  /** Bad usage: unknown command or flag, missing argument, invalid value or config. */
  usage: 2,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const

/** A mistake in the command line or the configuration: printed with a hint, exit code 2. */
export class UsageError extends Error {
  /** The command whose usage to point at (`computations list`), if known. */
  readonly command: string | undefined
  constructor(message: string, command?: string) {
    super(message)
    this.name = 'UsageError'
    this.command = command
  }
}
