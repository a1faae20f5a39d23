// Base64 without Node-only imports: Node's Buffer when it exists (fast), atob/btoa otherwise (browsers).

interface BufferLike {
  from(data: ArrayBufferLike, byteOffset?: number, length?: number): { toString(encoding: 'base64'): string }
  from(data: string, encoding: 'base64'): Uint8Array
}

const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

export function bytesToBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(binary)
}

/** Decodes strict base64 (padding optional); returns `null` for anything else. */
export function base64ToBytes(text: string): Uint8Array | null {
  if (text.length % 4 === 1 || !BASE64.test(text)) return null
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
