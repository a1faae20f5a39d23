/**
 * An estimate of the V8 heap a decoded value occupies (64-bit Node, no pointer compression: the
 * default build), for the L1's `maxBytes`. It walks the value once (shared and cyclic references
 * counted once) and adds the layout sizes of V8's objects: a header per object, 8 bytes per slot,
 * strings at 1 or 2 bytes per character, heap numbers for doubles, hash tables for Map and Set.
 * Measured against real heap growth in `bench/l1-memory.bench.ts` (see the README's L1 section).
 */

const WORD = 8
/** JSObject: map, properties, elements. */
const OBJECT_HEADER = 3 * WORD
/** FixedArray / string header: map + length. */
const ARRAY_HEADER = 2 * WORD
/** A double that is not a small integer lives in its own HeapNumber. */
const HEAP_NUMBER = 2 * WORD
/** An OrderedHashMap/Set slot per entry (key, value, chain) plus its share of the buckets. */
const MAP_ENTRY = 4 * WORD
const SET_ENTRY = 3 * WORD
/** What holding one entry costs in the L1 besides its value: the L1Entry, its key, lru-cache's slots. */
export const L1_ENTRY_OVERHEAD = 400

const roundUp = (n: number) => Math.ceil(n / WORD) * WORD

function stringBytes(s: string): number {
  // One byte per character when every code unit is Latin-1, else two.
  let wide = false
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) {
      wide = true
      break
    }
  }
  return roundUp(ARRAY_HEADER + s.length * (wide ? 2 : 1))
}

function numberBytes(n: number): number {
  return Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 ? 0 : HEAP_NUMBER
}

/** Estimated heap bytes of `value` (primitives held in a slot count only what lives outside it). */
export function estimateHeapBytes(value: unknown): number {
  const seen = new Set<object>()
  const stack: unknown[] = [value]
  let total = 0
  while (stack.length > 0) {
    const v = stack.pop()
    switch (typeof v) {
      case 'string':
        total += stringBytes(v)
        continue
      case 'number':
        total += numberBytes(v)
        continue
      case 'bigint': {
        const bits = v < 0n ? (-v).toString(2).length : v.toString(2).length
        total += ARRAY_HEADER + roundUp(Math.ceil(bits / 8))
        continue
      }
      case 'object':
        if (v === null || seen.has(v)) continue
        seen.add(v)
        total += objectBytes(v, stack)
        continue
      default:
        continue // booleans, undefined, symbols: in the slot
    }
  }
  return total
}

/** The object's own layout; pushes what it references onto `stack`. */
function objectBytes(v: object, stack: unknown[]): number {
  if (Array.isArray(v)) {
    for (const item of v) stack.push(item)
    return OBJECT_HEADER + WORD + ARRAY_HEADER + v.length * WORD
  }
  if (ArrayBuffer.isView(v)) return OBJECT_HEADER + 6 * WORD + roundUp(v.byteLength) + 6 * WORD
  if (v instanceof Map) {
    for (const [k, item] of v) stack.push(k, item)
    return OBJECT_HEADER + WORD + ARRAY_HEADER + 3 * WORD + v.size * MAP_ENTRY
  }
  if (v instanceof Set) {
    for (const item of v) stack.push(item)
    return OBJECT_HEADER + WORD + ARRAY_HEADER + 3 * WORD + v.size * SET_ENTRY
  }
  if (v instanceof Date) return OBJECT_HEADER + 2 * WORD + HEAP_NUMBER
  if (v instanceof RegExp) {
    stack.push(v.source)
    return OBJECT_HEADER + 4 * WORD
  }
  let slots = 0
  for (const key of Object.keys(v)) {
    slots++
    stack.push((v as Record<string, unknown>)[key])
  }
  // Up to ~128 named properties stay in-object (one slot each); past that a dictionary (3 words each).
  return OBJECT_HEADER + (slots <= 128 ? slots * WORD : ARRAY_HEADER + slots * 3 * WORD)
}
