// Standard base64 (RFC 4648 §4, padded) without Node-only imports. Small inputs, the common case for typed
// arrays inside arguments, are converted here in JS (a native call costs more than the work); large ones go
// to Node's Buffer when it exists, or atob/btoa (browsers).

interface BufferLike {
  from(data: ArrayBufferLike, byteOffset?: number, length?: number): { toString(encoding: 'base64'): string }
  from(data: string, encoding: 'base64'): Uint8Array
}

const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const CHARS: string[] = ALPHABET.split('')
const VALUES = new Int8Array(128).fill(-1)
for (let i = 0; i < 64; i++) VALUES[ALPHABET.charCodeAt(i)] = i

/** Below this many bytes (or characters) the JS loops beat the native round trip. */
const SMALL = 96

function encodeSmall(bytes: Uint8Array): string {
  const n = bytes.length
  const whole = n - (n % 3)
  let out = ''
  let i = 0
  for (; i < whole; i += 3) {
    const t = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += CHARS[t >> 18]! + CHARS[(t >> 12) & 63]! + CHARS[(t >> 6) & 63]! + CHARS[t & 63]!
  }
  if (n - whole === 1) {
    const t = bytes[i]!
    out += CHARS[t >> 2]! + CHARS[(t & 3) << 4]! + '=='
  } else if (n - whole === 2) {
    const t = (bytes[i]! << 8) | bytes[i + 1]!
    out += CHARS[t >> 10]! + CHARS[(t >> 4) & 63]! + CHARS[(t & 15) << 2]! + '='
  }
  return out
}

export function bytesToBase64(bytes: Uint8Array): string {
  if (bytes.length < SMALL) return encodeSmall(bytes)
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(binary)
}

/** Decodes a validated base64 text of `n` data characters (padding stripped). */
function decodeSmall(text: string, n: number): Uint8Array {
  const out = new Uint8Array((n * 3) >> 2)
  let o = 0
  let i = 0
  for (; i + 4 <= n; i += 4) {
    const t =
      (VALUES[text.charCodeAt(i)]! << 18) |
      (VALUES[text.charCodeAt(i + 1)]! << 12) |
      (VALUES[text.charCodeAt(i + 2)]! << 6) |
      VALUES[text.charCodeAt(i + 3)]!
    out[o++] = t >> 16
    out[o++] = (t >> 8) & 255
    out[o++] = t & 255
  }
  if (n - i === 2) {
    out[o] = (VALUES[text.charCodeAt(i)]! << 2) | (VALUES[text.charCodeAt(i + 1)]! >> 4)
  } else if (n - i === 3) {
    const t =
      (VALUES[text.charCodeAt(i)]! << 12) |
      (VALUES[text.charCodeAt(i + 1)]! << 6) |
      VALUES[text.charCodeAt(i + 2)]!
    out[o++] = t >> 10
    out[o] = (t >> 2) & 255
  }
  return out
}

/**
 * Decodes base64 (padding optional) into a fresh, exactly sized buffer; `null` when the text is not
 * base64. Like common decoders, unused low bits of the last character are ignored.
 */
export function base64ToBytes(text: string): Uint8Array | null {
  if (!BASE64.test(text)) return null
  let n = text.length
  while (n > 0 && text.charCodeAt(n - 1) === 61) n-- // '='
  if (n % 4 === 1 || (n !== text.length && text.length % 4 !== 0)) return null
  if (n < SMALL) return decodeSmall(text, n)
  if (NodeBuffer) {
    const view = NodeBuffer.from(text, 'base64')
    // A copy into a fresh, exactly-sized buffer: Node may hand out slices of a shared pool.
    const out = new Uint8Array(view.byteLength)
    out.set(view)
    return out
  }
  const binary = atob(text)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}
