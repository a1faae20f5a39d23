/** One message of a `text/event-stream`, as the HTML spec's parser dispatches it. */
export interface SseMessage {
  /** `event:` field; `'message'` when the server sent none. */
  event: string
  /** `data:` lines joined with `\n`. */
  data: string
  /** The last event id seen (`id:` field), `''` when none. */
  id: string
  /** `retry:` field (reconnection time in ms) when this message carried one. */
  retry?: number
}

/** The parser's state between chunks: the unfinished line and the message being built. */
class SseState {
  buffer = ''
  event = ''
  data: string[] = []
  lastId = ''
  retry: number | undefined
  // A CR at the end of a chunk may be the first half of a CRLF split across chunks.
  pendingCr = false

  /** Applies one line; returns the message an empty line dispatches. */
  line(line: string): SseMessage | undefined {
    if (line === '') return this.#dispatch()
    if (line.startsWith(':')) return undefined
    const colon = line.indexOf(':')
    const name = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    switch (name) {
      case 'event':
        this.event = value
        break
      case 'data':
        this.data.push(value)
        break
      case 'id':
        if (!value.includes('\0')) this.lastId = value
        break
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value)
        break
      default:
        // Unknown fields are ignored.
        break
    }
    return undefined
  }

  /** The complete lines of `text` appended to the buffer; the rest stays buffered (discarded on `flush`). */
  *lines(text: string, flush: boolean): Generator<string> {
    this.buffer += text
    const buffer = this.buffer
    let start = 0
    for (let i = 0; i < buffer.length; i++) {
      const ch = buffer.charCodeAt(i)
      if (ch === 10 /* \n */) {
        if (this.pendingCr && i === start) {
          this.pendingCr = false
          start = i + 1
          continue
        }
        this.pendingCr = false
        yield buffer.slice(start, i)
        start = i + 1
      } else if (ch === 13 /* \r */) {
        yield buffer.slice(start, i)
        start = i + 1
        if (i + 1 < buffer.length) {
          if (buffer.charCodeAt(i + 1) === 10) {
            i++
            start = i + 1
          }
        } else {
          this.pendingCr = true
        }
      } else {
        this.pendingCr = false
      }
    }
    // The spec discards an unterminated last line together with its unfinished message.
    this.buffer = flush ? '' : buffer.slice(start)
  }

  #dispatch(): SseMessage | undefined {
    let message: SseMessage | undefined
    if (this.data.length > 0) {
      message = { event: this.event || 'message', data: this.data.join('\n'), id: this.lastId }
      if (this.retry !== undefined) message.retry = this.retry
      this.data = []
    }
    this.event = ''
    this.retry = undefined
    return message
  }
}

/**
 * Parses a `text/event-stream` body into messages, following the HTML spec: lines end with CRLF, LF or
 * CR; `:` starts a comment; `data` lines accumulate; an empty line dispatches; a message without data
 * is not dispatched; a leading BOM is dropped; an unfinished message at the end of the stream is
 * discarded. Works on any `ReadableStream<Uint8Array>` (fetch's `response.body`), in Node and browsers.
 */
export async function* parseSse(stream: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage, void, void> {
  const reader = stream.getReader()
  const decoder = new TextDecoder('utf-8')
  const state = new SseState()
  let first = true
  try {
    for (;;) {
      const { done, value } = await reader.read()
      let text = done ? decoder.decode() : decoder.decode(value, { stream: true })
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
        first = false
      }
      for (const line of state.lines(text, done)) {
        const message = state.line(line)
        if (message) yield message
      }
      if (done) return
    }
  } finally {
    // Stops the download when the consumer leaves the loop early.
    await reader.cancel().catch(() => {})
    reader.releaseLock()
  }
}
