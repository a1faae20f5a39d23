/** Random bytes for ids, drawn from the platform's CSPRNG a pool at a time (one call per 256 ids). */
const randomPool = new Uint8Array(4096)
let randomOffset = randomPool.length

/** 16 fresh random bytes (a copy: the caller may overwrite them). */
export function randomBytes16(): Uint8Array {
  if (randomOffset === randomPool.length) {
    globalThis.crypto.getRandomValues(randomPool)
    randomOffset = 0
  }
  const bytes = randomPool.slice(randomOffset, randomOffset + 16)
  randomOffset += 16
  return bytes
}
