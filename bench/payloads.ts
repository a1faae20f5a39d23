// Payloads shared by hash.bench.ts and codec.bench.ts (issue 2 §5). Deterministic: a seeded PRNG, no
// Date.now(), so every run measures the same values.

export interface Payload {
  name: string
  /** The call: `fn` and `args`, as a user would hand them to `hashKey`. */
  fn: string
  args: unknown[]
  /** True when `args` holds values JSON cannot represent (Map, BigInt, Date…). */
  rich: boolean
}

function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const words = [
  'alpha',
  'beta',
  'gamma',
  'delta',
  'epsilon',
  'zeta',
  'eta',
  'theta',
  'iota',
  'kappa',
  'lambda',
]

function fiftyKeys(rand: () => number): Record<string, unknown> {
  const obj: Record<string, unknown> = {}
  for (let i = 0; i < 50; i++) {
    const key = `${words[i % words.length]}_${i}`
    switch (i % 5) {
      case 0:
        obj[key] = Math.round(rand() * 1e6)
        break
      case 1:
        obj[key] = rand() * 1000
        break
      case 2:
        obj[key] = `${words[(i * 7) % words.length]} ${i}`
        break
      case 3:
        obj[key] = i % 2 === 0
        break
      default:
        obj[key] = { id: i, tags: [words[i % words.length], words[(i + 3) % words.length]] }
    }
  }
  return obj
}

function bigintMap(rand: () => number): Map<string, bigint> {
  const map = new Map<string, bigint>()
  for (let i = 0; i < 1000; i++) {
    map.set(`k${i}`, BigInt(Math.floor(rand() * 2 ** 52)) * 1_000_003n ** 3n - BigInt(i))
  }
  return map
}

/** ≈10 KB of stringified codec text: records mixing Date, Map, Set, BigInt, RegExp, URL, bytes, undefined, NaN. */
function mixed(rand: () => number): unknown {
  const items: unknown[] = []
  for (let i = 0; i < 24; i++) {
    items.push({
      id: i,
      name: `item-${words[i % words.length]}`,
      createdAt: new Date(Date.UTC(2024, i % 12, (i % 27) + 1, 12, 30, i)),
      big: BigInt(i) ** 20n + 7n,
      ratio: i % 7 === 0 ? Number.NaN : rand(),
      note: i % 3 === 0 ? undefined : 'ok',
      tags: new Set([words[i % words.length], words[(i + 1) % words.length]]),
      scores: new Map<string, number>([
        ['a', i],
        ['b', i * 2],
      ]),
      pattern: /^item-\d+$/gi,
      link: new URL(`https://example.com/items/${i}?q=${i * 3}`),
      bytes: new Uint8Array([i, i + 1, i + 2, i + 3, 250, 251, 252, 253]),
      nested: { level: 1, inner: { level: 2, values: [i, i + 0.5, -i] } },
    })
  }
  return { kind: 'batch', items }
}

/** ≈1 MB of plain JSON: an array of flat-ish records. */
function plainMegabyte(rand: () => number): unknown {
  const rows: unknown[] = []
  let size = 2
  while (size < 1_000_000) {
    const i = rows.length
    const row = {
      id: i,
      uuid: `${(rand() * 1e16).toString(36)}-${i.toString(16)}`,
      name: `${words[i % words.length]} ${words[(i * 3) % words.length]}`,
      active: i % 3 !== 0,
      score: Math.round(rand() * 1e6) / 100,
      tags: [words[i % 11], words[(i + 5) % 11]],
      address: { city: words[(i * 7) % 11], zip: String(10000 + (i % 90000)) },
    }
    rows.push(row)
    size += JSON.stringify(row).length + 1
  }
  return rows
}

/** The payloads of issue 2 §5; env `BENCH_ONLY` (a name fragment) keeps the matching ones only. */
export function payloads(): Payload[] {
  const only = process.env.BENCH_ONLY?.toLowerCase()
  return allPayloads().filter((p) => only === undefined || p.name.toLowerCase().includes(only))
}

function allPayloads(): Payload[] {
  const rand = prng(42)
  return [
    { name: 'small args', fn: 'fib', args: [30], rich: false },
    { name: '50-key object', fn: 'report', args: [fiftyKeys(rand)], rich: false },
    {
      name: '10k numbers',
      fn: 'sum',
      args: [Array.from({ length: 10_000 }, () => rand() * 1e6)],
      rich: false,
    },
    { name: 'Map 1k BigInt', fn: 'ledger', args: [bigintMap(rand)], rich: true },
    { name: '10 KB mixed', fn: 'batch', args: [mixed(rand)], rich: true },
    { name: '1 MB plain', fn: 'import', args: [plainMegabyte(rand)], rich: false },
  ]
}

export interface JsonFormOptions {
  /** Keep values with a `toJSON` method (Date, URL): JSON.stringify and safe-stable-stringify call it. */
  keepToJSON?: boolean
  /** Keep BigInts: safe-stable-stringify writes them as numbers; JSON.stringify throws on them. */
  keepBigInt?: boolean
}

/**
 * The closest JSON form of a value, for baselines that only take JSON (prepared once, outside the timed
 * loop): Map → entries array, Set → values array, typed arrays → arrays of numbers, RegExp → its text,
 * undefined/NaN/±Infinity → null, -0 → 0, and unless kept (what the baseline handles itself) Date/URL → their
 * JSON text and BigInt → decimal string.
 */
export function jsonForm(value: unknown, options: JsonFormOptions = {}): unknown {
  switch (typeof value) {
    case 'bigint':
      return options.keepBigInt ? value : value.toString()
    case 'undefined':
      return null
    case 'number':
      return Number.isFinite(value) ? value + 0 : null // + 0: -0 → 0, as JSON writes it
    case 'object': {
      if (value === null) return null
      if (Array.isArray(value)) return value.map((v) => jsonForm(v, options))
      if (value instanceof Date || value instanceof URL) return options.keepToJSON ? value : value.toJSON()
      if (value instanceof Map)
        return [...value].map(([k, v]) => [jsonForm(k, options), jsonForm(v, options)])
      if (value instanceof Set) return [...value].map((v) => jsonForm(v, options))
      if (value instanceof RegExp) return String(value)
      if (ArrayBuffer.isView(value)) return Array.from(value as Uint8Array, Number)
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) out[k] = jsonForm(v, options)
      return out
    }
    default:
      return value
  }
}

/** UTF-8 size of the codec text of a payload, for the table. */
export function sizeLabel(bytes: number): string {
  return bytes >= 1e6
    ? `${(bytes / 1e6).toFixed(1)} MB`
    : bytes >= 1e3
      ? `${(bytes / 1e3).toFixed(1)} KB`
      : `${bytes} B`
}
