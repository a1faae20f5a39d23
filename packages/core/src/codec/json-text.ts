// JSON text helpers of the canonical writer. Output is byte-for-byte what ECMAScript's JSON.stringify
// writes (HASHING.md § JSON text); only the speed differs.

const jsonQuote = JSON.stringify as (s: string) => string

/**
 * A string as a JSON string literal, escaped exactly as JSON.stringify does (well-formed: lone surrogates
 * as `\udxxx`). Short strings with nothing to escape, the common case, skip the native call.
 */
export function quote(s: string): string {
  const n = s.length
  if (n > 64) return jsonQuote(s)
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    // control characters, '"', '\\' and surrogate halves take the native path
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return jsonQuote(s)
  }
  return '"' + s + '"'
}

/**
 * Sorts strings in place by UTF-16 code units (what `<` and the default `Array#sort` compare).
 * Insertion sort for the short arrays object keys usually are, the native sort otherwise.
 */
export function sortStrings(a: string[]): string[] {
  const n = a.length
  if (n > 24) return a.sort()
  for (let i = 1; i < n; i++) {
    const item = a[i]!
    let j = i - 1
    if (a[j]! <= item) continue
    do {
      a[j + 1] = a[j]!
      j--
    } while (j >= 0 && a[j]! > item)
    a[j + 1] = item
  }
  return a
}

/**
 * The order of Map entries: indexes sorted by key text, then value text (code units). A bottom-up merge
 * sort with the comparison inline: about a third faster than `Array#sort` with a comparator on large Maps.
 * Stable, so equal entries keep their relative order (they are equal text, so the output does not depend
 * on it either way).
 */
export function entryOrder(keys: readonly string[], values: readonly string[]): number[] {
  const n = keys.length
  let src = new Array<number>(n)
  for (let i = 0; i < n; i++) src[i] = i
  // Insertion sort of runs of 8.
  for (let lo = 0; lo < n; lo += 8) {
    const hi = Math.min(lo + 8, n)
    for (let i = lo + 1; i < hi; i++) {
      const x = src[i]!
      const kx = keys[x]!
      let j = i - 1
      while (j >= lo) {
        const y = src[j]!
        const ky = keys[y]!
        if (ky < kx || (ky === kx && !(values[x]! < values[y]!))) break
        src[j + 1] = y
        j--
      }
      src[j + 1] = x
    }
  }
  if (n <= 8) return src
  let dst = new Array<number>(n)
  for (let width = 8; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n)
      const hi = Math.min(lo + 2 * width, n)
      let i = lo
      let j = mid
      let k = lo
      while (i < mid && j < hi) {
        const a = src[i]!
        const b = src[j]!
        const ka = keys[a]!
        const kb = keys[b]!
        if (kb < ka || (kb === ka && values[b]! < values[a]!)) {
          dst[k++] = b
          j++
        } else {
          dst[k++] = a
          i++
        }
      }
      while (i < mid) dst[k++] = src[i++]!
      while (j < hi) dst[k++] = src[j++]!
    }
    const swap = src
    src = dst
    dst = swap
  }
  return src
}
