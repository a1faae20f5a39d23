/**
 * The body of `GET /:id/result`: the stored codec JSON as it is (never parsed and serialized again).
 * A large one is sent as a stream of slices, so the socket's back-pressure paces it and the server
 * never holds a second, encoded copy of the whole value (`res.end(string)` would make one).
 */
import { Readable } from 'node:stream'

/** Results of more characters than this are streamed. */
export const STREAM_RESULT_ABOVE = 256 * 1024
/** The size of each streamed slice, in characters (UTF-16 code units). */
export const RESULT_SLICE = 64 * 1024

/** `text` in slices of about `size` code units, never splitting a surrogate pair across two slices. */
export function* slices(text: string, size: number = RESULT_SLICE): Generator<string, void, void> {
  let at = 0
  while (at < text.length) {
    let end = Math.min(text.length, at + size)
    const last = text.charCodeAt(end - 1)
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--
    yield text.slice(at, end)
    at = end
  }
}

/** The stored text as the reply's payload: itself when small, a stream of its slices when large. */
export function resultPayload(text: string): string | Readable {
  if (text.length <= STREAM_RESULT_ABOVE) return text
  return Readable.from(slices(text), { objectMode: false, highWaterMark: RESULT_SLICE })
}
