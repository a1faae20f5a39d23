import type {
  ClaimInput,
  Computation,
  ComputationStatus,
  NewCacheEntry,
  NewComputation,
  Store,
} from '@comp-manager/core'

/** The namespaces the suite writes to. */
export const NS_A = 'tenant-a'
export const NS_B = 'tenant-b'
export const NS_C = 'tenant-c'

let counter = 0
/** A hash (or cache key) no other fixture of this process uses. */
export const uniqueHash = (prefix = 'hash'): string => `${prefix}-${(++counter).toString().padStart(6, '0')}`

/** Input for `computations.create`; every call gets a new hash. */
export function computationInput(overrides: Partial<NewComputation> = {}): NewComputation {
  return {
    namespace: NS_A,
    function: 'fib',
    functionFull: 'math/series.fib',
    args: { n: 30, memo: [1, 1, 2], options: { fast: true, label: null } },
    hash: uniqueHash(),
    hashAlgorithm: 'sha256',
    ...overrides,
  }
}

/** Input for `computations.claim`; every call gets a new hash unless one is given. */
export function claimInput(overrides: Partial<ClaimInput> = {}): ClaimInput {
  return {
    namespace: NS_A,
    function: 'fib',
    functionFull: 'math/series.fib',
    args: { n: 30 },
    hash: uniqueHash(),
    hashAlgorithm: 'sha256',
    owner: 'worker-1',
    pid: 4242,
    host: 'host-1',
    leaseMs: 30_000,
    ...overrides,
  }
}

/** Input for `cache.set`; every call gets a new key unless one is given. */
export function cacheInput(overrides: Partial<NewCacheEntry> = {}): NewCacheEntry {
  return {
    namespace: NS_A,
    key: uniqueHash('key'),
    function: 'fib',
    functionFull: 'math/series.fib',
    algorithm: 'sha256',
    value: '{"result":832040}',
    ...overrides,
  }
}

/** Emoji (with ZWJ and skin tone), astral letters, right-to-left scripts, combining marks, CJK. */
export const unicodeSamples = {
  emoji: '😀👩‍👩‍👧🏽🚀',
  astral: '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈 𝄞',
  arabic: 'مرحبا بالعالم',
  hebrew: 'שלום עולם',
  mixed: 'abc مرحبا 123 שלום ✓',
  combining: 'e\u0301 n\u0303 Å',
  cjk: '漢字かなカナ한국어',
} as const

/** All the samples in one string. */
export const unicodeText = Object.values(unicodeSamples).join(' | ')

/** UTF-8 byte length, computed independently of core's helper. */
export const utf8Bytes = (text: string): number => new TextEncoder().encode(text).length

/**
 * Creates a record and drives it into `status` through allowed transitions only
 * (`queued`; `started`; `started → paused`; `started → finished | failed | lost`).
 */
export async function recordIn(
  store: Store,
  status: ComputationStatus,
  overrides: Partial<NewComputation> = {},
): Promise<Computation> {
  if (status === 'queued') return store.computations.create(computationInput(overrides))
  const started = await store.computations.create(computationInput({ ...overrides, status: 'started' }))
  if (status === 'started') return started
  return store.computations.update(started.namespace, started.id, 'started', { status })
}

/** `n` items, made one after another (not concurrently: some stores serialize writers anyway). */
export async function times<T>(n: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = []
  for (let i = 0; i < n; i++) out.push(await make(i))
  return out
}
