/** Most bytes of log lines held before they are written. */
export const LOG_BUFFER_BYTES = 4096
/** Longest time a log line is held before it is written. */
export const LOG_FLUSH_MS = 200

/** A writable the lines go to (`process.stdout` by default). */
export interface LineSink {
  write(text: string): unknown
}

/**
 * The destination of the server's default logger: pino's lines written **in batches** to stdout, up to
 * {@link LOG_BUFFER_BYTES} or {@link LOG_FLUSH_MS} later, whichever comes first, instead of one
 * `write(2)` per line (pino's default destination writes each line synchronously: with one line per
 * request, that system call was the largest cost of logging). Lines at `error` and above are written at
 * once, with what is held before them; everything is written on `close()` and when the process exits.
 * What a `SIGKILL` can lose: at most the last {@link LOG_FLUSH_MS} of `info`/`debug` lines.
 */
export class BufferedLogStream {
  readonly #sink: LineSink
  readonly #max: number
  #held: string[] = []
  #bytes = 0
  #timer: NodeJS.Timeout | undefined
  readonly #onExit = () => this.flush()

  constructor(options: { sink?: LineSink; maxBytes?: number; flushMs?: number } = {}) {
    this.#sink = options.sink ?? process.stdout
    this.#max = options.maxBytes ?? LOG_BUFFER_BYTES
    this.#timer = setInterval(() => this.flush(), options.flushMs ?? LOG_FLUSH_MS)
    this.#timer.unref()
    process.once('exit', this.#onExit)
  }

  /** pino's stream contract: one serialized line (ending with a new line) per call. */
  write(line: string): boolean {
    this.#held.push(line)
    this.#bytes += line.length
    // pino writes the level first: `{"level":50,…` (error) and `{"level":60,…` (fatal) go out at once.
    if (this.#bytes >= this.#max || line.startsWith('{"level":5') || line.startsWith('{"level":6')) {
      this.flush()
    }
    return true
  }

  /** Writes what is held. */
  flush(): void {
    if (this.#held.length === 0) return
    const text = this.#held.length === 1 ? this.#held[0]! : this.#held.join('')
    this.#held = []
    this.#bytes = 0
    this.#sink.write(text)
  }

  /** Writes what is held and stops the timer (the app's `onClose`). */
  close(): void {
    this.flush()
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    process.removeListener('exit', this.#onExit)
  }
}
