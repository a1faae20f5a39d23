import {
  type CacheEntry,
  type CacheEntryMeta,
  type Computation,
  canonicalCall,
  cmError,
  describeType,
  hashKey,
  isCompManagerError,
  type ResultRef,
  type Store,
} from '@comp-manager/core'
import { executeRun, fromErrorInfo, runnerIdentity, waitForRun } from '@comp-manager/core/runs'
import { CacheEmitter } from './events.js'
import { L1 } from './l1.js'
import {
  assertName,
  assertTags,
  invalid,
  MAX_CUSTOM_KEY_LENGTH,
  type ResolvedCacheOptions,
  resolveCacheOptions,
  resolveWrapOptions,
  ttlOf,
  versionOf,
  type WrapSpec,
} from './options.js'
import type {
  CacheEventName,
  CacheEvents,
  CacheOptions,
  CacheStatsResult,
  DecoratorOptions,
  ErrorPhase,
  Explanation,
  InvalidateOptions,
  SetOptions,
  WarningReason,
  WrapOptions,
} from './types.js'

// biome-ignore lint/suspicious/noExplicitAny: any function may be wrapped, whatever its `this` and arguments
export type AnyFunction = (this: any, ...args: any[]) => any

/** What `wrap` returns: the same parameters and `this`, always async. */
export type CachedFunction<F extends AnyFunction> = F extends (this: infer T, ...args: infer A) => infer R
  ? (this: T, ...args: A) => Promise<Awaited<R>>
  : never

/** An async method, as the decorator sees it. */
export type AsyncMethod<This, A extends unknown[], R> = (this: This, ...args: A) => Promise<R>

/** A standard (TC39) method decorator. */
export type CachedMethodDecorator = <This, A extends unknown[], R>(
  target: AsyncMethod<This, A, R>,
  context: ClassMethodDecoratorContext<This, AsyncMethod<This, A, R>>,
) => AsyncMethod<This, A, R>

/** How a fill ended for the caller that started it. */
interface FillResult {
  value: unknown
  /** `computed` here, `waited` for another process's run, or `adopted` an entry written meanwhile. */
  source: 'computed' | 'waited' | 'adopted'
}

interface Found {
  entry: CacheEntry
  value: unknown
}

type Freshness = 'fresh' | 'stale' | 'expired'

/** One call of a wrapped function, keyed: what the call path threads from `#call` to the fill. */
interface Call {
  readonly spec: WrapSpec<unknown[], unknown>
  readonly fn: AnyFunction
  readonly self: unknown
  readonly args: unknown[]
  readonly key: string
  readonly algorithm: string
}

/** Prefix of the hash of fill runs: keeps them apart from tracker runs of the same function. */
export const FILL_HASH_PREFIX = 'cache:'

const closedError = () => cmError('CM_ERR_STORE_UNAVAILABLE', 'the cache is closed')

/** Nesting the recorded arguments may reach (the stores accept 64 levels of JSON). */
const MAX_RECORDED_DEPTH = 48

function shallowerThan(node: unknown, limit: number): boolean {
  if (typeof node !== 'object' || node === null) return true
  if (limit <= 0) return false
  if (Array.isArray(node)) return node.every((item) => shallowerThan(item, limit - 1))
  for (const key in node) if (!shallowerThan((node as Record<string, unknown>)[key], limit - 1)) return false
  return true
}

/**
 * Persistent memoization over a comp-manager `Store`: see {@link createCache}. Every fill of a missing
 * key is a claimed, leased run in the store, so one caller computes while every other caller — in
 * this process or another one sharing the store — waits for its result.
 */
export class Cache {
  /** Scope of this cache's entries and runs. */
  readonly namespace: string
  /** The store it was given (the cache never closes it). */
  readonly store: Store
  readonly #o: ResolvedCacheOptions
  readonly #l1: L1 | null
  readonly #events: CacheEmitter
  /** In-process single flight: one fill per key at a time; every caller of the key shares it. */
  readonly #inflight = new Map<string, Promise<FillResult>>()
  /** Stale-while-revalidate refreshes nobody awaits (waited for by `close`). */
  readonly #background = new Set<Promise<unknown>>()
  /** The latest options wrapped under each name (for `explain`). */
  // biome-ignore lint/suspicious/noExplicitAny: specs of any argument and result types
  readonly #specs = new Map<string, WrapSpec<any, any>>()
  readonly #counters = { hits: 0, misses: 0, staleHits: 0, dedupes: 0 }
  #timer: ReturnType<typeof setInterval> | undefined
  #closed = false

  constructor(options: CacheOptions) {
    this.#o = resolveCacheOptions(options)
    this.namespace = this.#o.namespace
    this.store = this.#o.store
    this.#l1 = this.#o.l1 === null ? null : new L1(this.#o.l1)
    this.#events = new CacheEmitter((err, event) => this.#error('listener', err, { event }))
    if (this.#o.purgeIntervalMs !== null) {
      this.#timer = setInterval(() => {
        this.purge().catch((err) => this.#error('purge', err))
      }, this.#o.purgeIntervalMs)
      this.#timer.unref?.()
    }
  }

  // ── wrapping ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Memoizes `fn` under `name`: the returned function has the same parameters and `this`, returns a
   * Promise of the result, and computes each distinct call at most once across every process
   * sharing the store (while its entry lives). Options are checked now.
   */
  wrap<F extends AnyFunction>(
    name: string,
    fn: F,
    options?: WrapOptions<Parameters<F>, Awaited<ReturnType<F>>>,
  ): CachedFunction<F> {
    assertName(name, 'name')
    if (typeof fn !== 'function') invalid('fn', `must be the function to cache (got ${describeType(fn)})`)
    return this.#wrapSpec(resolveWrapOptions(name, options, this.#o.ttlMs), fn) as CachedFunction<F>
  }

  /** `cached(name, fn, options?)` is `wrap`; `cached(options?)` is the method decorator. */
  cached<F extends AnyFunction>(
    name: string,
    fn: F,
    options?: WrapOptions<Parameters<F>, Awaited<ReturnType<F>>>,
  ): CachedFunction<F>
  // biome-ignore lint/suspicious/noExplicitAny: the decorated method's types are inferred where it is applied
  cached<A extends unknown[] = any[], R = any>(options?: DecoratorOptions<A, R>): CachedMethodDecorator
  cached(nameOrOptions?: unknown, fn?: unknown, options?: unknown): unknown {
    if (typeof nameOrOptions === 'string')
      return this.wrap(nameOrOptions, fn as AnyFunction, options as WrapOptions)
    return this.decorator(nameOrOptions as DecoratorOptions | undefined)
  }

  /**
   * A standard (TC39) decorator for async methods: `@cache.decorator({ ttl: '1h' })`. The default
   * name is `ClassName.method` (the class that declares the method). The instance is not part of the
   * key: include what matters of it with `key`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the decorated method's types are inferred where it is applied
  decorator<A extends unknown[] = any[], R = any>(options?: DecoratorOptions<A, R>): CachedMethodDecorator {
    const { name: explicitName, ...wrapOptions } = (options ?? {}) as DecoratorOptions
    if (explicitName !== undefined) assertName(explicitName, 'name')
    // Checked now, so a bad option fails when the class is defined, not at the first call.
    resolveWrapOptions(explicitName ?? 'decorated', wrapOptions, this.#o.ttlMs)
    return <This, A2 extends unknown[], R2>(
      target: AsyncMethod<This, A2, R2>,
      context: ClassMethodDecoratorContext<This, AsyncMethod<This, A2, R2>>,
    ): AsyncMethod<This, A2, R2> => {
      if (typeof context !== 'object' || context === null || context.kind !== 'method') {
        throw cmError(
          'CM_ERR_INVALID_ARGUMENT',
          '@cached decorates class methods, as a standard decorator (turn `experimentalDecorators` off)',
        )
      }
      let wrapped: AnyFunction | undefined
      const resolve = (self: unknown): AnyFunction => {
        const name =
          explicitName ?? `${declaringClassName(self, context, replacement)}.${String(context.name)}`
        wrapped = this.#wrapSpec(resolveWrapOptions(name, wrapOptions, this.#o.ttlMs), target)
        return wrapped
      }
      const replacement = function (this: This, ...args: A2): Promise<R2> {
        return (wrapped ?? resolve(this)).apply(this, args)
      }
      // Known by name (to `explain`) once the class is defined (static) or first instantiated.
      context.addInitializer(function (this: This) {
        if (wrapped === undefined) resolve(this)
      })
      return replacement
    }
  }

  // biome-ignore lint/suspicious/noExplicitAny: specs of any argument and result types
  #wrapSpec(spec: WrapSpec<any, any>, fn: AnyFunction): AnyFunction {
    this.#specs.set(spec.name, spec)
    const cache = this
    const wrapped = function (this: unknown, ...args: unknown[]) {
      return cache.#call(spec, fn, this, args)
    }
    Object.defineProperty(wrapped, 'name', { value: `cached ${fn.name || spec.name}` })
    return wrapped
  }

  // ── the call path ─────────────────────────────────────────────────────────────────────────────

  /**
   * A call: L1 synchronously (a hit costs no extra async frame), then the store, then the fill.
   * Always returns a promise; a synchronous failure (closed, key) is a rejection.
   */
  #call(
    spec: WrapSpec<unknown[], unknown>,
    fn: AnyFunction,
    self: unknown,
    args: unknown[],
  ): Promise<unknown> {
    let call: Call
    try {
      if (this.#closed) throw closedError()
      const { key, algorithm } = this.#keyOf(spec, self, args)
      call = { spec, fn, self, args, key, algorithm }
      const l1 = this.#l1
      if (l1 !== null) {
        const now = this.#o.clock()
        const held = l1.get(key, now)
        if (held !== undefined && held.version === spec.versionText) {
          const state = freshness(spec, held.createdAt, now)
          if (state === 'fresh') {
            this.#hit(key, spec.name, 'l1')
            return Promise.resolve(held.value)
          }
          if (state === 'stale') {
            return Promise.resolve(this.#stale(call, held.value, held.createdAt, now))
          }
        }
      }
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#lookup(call)
  }

  /** Past L1: the store, then the fill. */
  async #lookup(call: Call): Promise<unknown> {
    const { spec, key } = call
    const found = await this.#read(key, spec.name, true, false)
    if (found !== null && found.entry.version === spec.versionText) {
      const now = this.#o.clock()
      const state = freshness(spec, found.entry.createdAt, now)
      if (state !== 'expired') {
        this.#remember(found.entry, found.value)
        if (state === 'fresh') {
          this.#hit(key, spec.name, 'store')
          return found.value
        }
        return this.#stale(call, found.value, found.entry.createdAt, now)
      }
    }
    this.#miss(key, spec.name)
    return this.#flight(call, false)
  }

  /** The key of a call: `hashKey({ fn: functionFull, version, args })`, or the custom `key`. */
  #keyOf(
    spec: WrapSpec<unknown[], unknown>,
    self: unknown,
    args: unknown[],
  ): { key: string; algorithm: string } {
    if (spec.key === undefined) {
      const h = hashKey(
        { fn: spec.functionFull, version: spec.version, args: spec.ignoreArgs ? [] : args },
        { codec: this.#o.codec },
      )
      return { key: h.key, algorithm: h.algorithm }
    }
    let key: unknown
    try {
      key = spec.key.apply(self, args)
    } catch (err) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `cache "${spec.name}": the \`key\` function threw: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err, details: { option: 'key', name: spec.name } },
      )
    }
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_CUSTOM_KEY_LENGTH) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `cache "${spec.name}": the \`key\` function must return a non-empty string of at most ${MAX_CUSTOM_KEY_LENGTH} characters (got ${describeType(key)}${typeof key === 'string' ? ` of ${key.length}` : ''})`,
        { details: { option: 'key', name: spec.name } },
      )
    }
    return { key, algorithm: 'custom' }
  }

  /**
   * A stale value (SWR) was found: serve it and refresh in the background — unless a refresh is
   * already running here, in which case this caller waits for it (stale is served once per refresh).
   */
  #stale(call: Call, value: unknown, createdAt: number, now: number): Promise<unknown> | unknown {
    const { spec, key } = call
    if (this.#inflight.has(key)) {
      this.#miss(key, spec.name)
      return this.#flight(call, false)
    }
    this.#counters.staleHits++
    if (this.#events.has('stale')) {
      this.#events.emit('stale', { key, name: spec.name, staleForMs: now - (createdAt + (spec.ttlMs ?? 0)) })
    }
    const refresh = this.#flight(call, true)
    this.#background.add(refresh)
    refresh
      .catch((err) => this.#error('refresh', err, { key, name: spec.name }))
      .finally(() => this.#background.delete(refresh))
    return value
  }

  /** Joins the fill of `key` running in this process, or starts it. */
  async #flight(call: Call, refresh: boolean): Promise<unknown> {
    const { key } = call
    const running = this.#inflight.get(key)
    if (running !== undefined) {
      const { value } = await running
      this.#counters.dedupes++
      return value
    }
    const fill = this.#fill(call, refresh)
    this.#inflight.set(key, fill)
    const done = () => {
      if (this.#inflight.get(key) === fill) this.#inflight.delete(key)
    }
    fill.then(done, done)
    const { value, source } = await fill
    if (source !== 'computed' && !refresh) this.#counters.dedupes++
    return value
  }

  /**
   * The cross-process part: claim the key's fill run. The winner computes (`#run`); a loser waits for
   * the winner's run, then reads the entry (finished), rethrows its error (failed), or claims again
   * (lost: the winner's process died and its lease ran out).
   */
  async #fill(call: Call, refresh: boolean): Promise<FillResult> {
    const { spec, fn, self, args, key, algorithm } = call
    const o = this.#o
    const { pid, host } = runnerIdentity()
    const deadline = spec.timeoutMs === undefined ? undefined : Date.now() + spec.timeoutMs
    const recordedArgs = this.#recordedArgs(args)
    for (;;) {
      const claim = await o.store.computations.claim({
        namespace: o.namespace,
        name: spec.name,
        function: spec.name,
        functionFull: spec.functionFull,
        args: recordedArgs,
        hash: FILL_HASH_PREFIX + key,
        hashAlgorithm: algorithm,
        owner: o.owner,
        pid,
        host,
        leaseMs: o.leaseMs,
        onTerminal: 'rerun',
        message: refresh ? 'cache refresh' : 'cache fill',
      })
      if (claim.won) return this.#run(call, claim.record, recordedArgs)

      const left = deadline === undefined ? undefined : deadline - Date.now()
      let final: Computation
      try {
        if (left !== undefined && left <= 0) {
          throw cmError(
            'CM_ERR_TIMEOUT',
            `run ${claim.record.id} did not finish within ${spec.timeoutMs} ms`,
            {
              details: { id: claim.record.id, timeoutMs: spec.timeoutMs },
            },
          )
        }
        final = await waitForRun(o.store.computations, o.namespace, claim.record.id, {
          clock: o.clock,
          pollMs: o.pollMs,
          maxPollMs: o.maxPollMs,
          ...(left === undefined ? {} : { timeoutMs: left }),
        })
      } catch (err) {
        if (isCompManagerError(err, 'CM_ERR_NOT_FOUND')) continue // the run was deleted: claim again
        if (isCompManagerError(err, 'CM_ERR_TIMEOUT') && err.details) err.details.key = key
        throw err
      }
      if (final.status === 'finished') {
        if (final.result !== null) {
          const found = await this.#read(key, spec.name, true, false)
          if (found !== null && found.entry.version === spec.versionText) {
            this.#remember(found.entry, found.value)
            return { value: found.value, source: 'waited' }
          }
        }
        // The winner did not store its result (shouldCache, encoding, size) or it is gone already:
        // compute it here, without storing it.
        return { value: await fn.apply(self, args), source: 'computed' }
      }
      if (final.status === 'failed') {
        throw fromErrorInfo(final.error ?? { name: 'Error', message: `cache fill ${final.id} failed` })
      }
      // 'lost': claim again; one of the waiters wins and computes.
    }
  }

  /** The winner of a claim: compute through `executeRun`, which stores the value before `finished`. */
  async #run(call: Call, record: Computation, recordedArgs: unknown): Promise<FillResult> {
    const { spec, fn, self, args, key } = call
    const o = this.#o
    const common = {
      store: o.store.computations,
      record,
      leaseMs: o.leaseMs,
      heartbeatMs: o.heartbeatMs,
      clock: o.clock,
      codec: o.codec,
      onError: (err: unknown, during: ErrorPhase) => this.#error(during, err, { key, name: spec.name }),
    }
    // A run that finished between our read and our claim has already written the entry: use it.
    const existing = await this.#read(key, spec.name, false, false)
    if (
      existing !== null &&
      existing.entry.version === spec.versionText &&
      freshness(spec, existing.entry.createdAt, o.clock()) === 'fresh'
    ) {
      await executeRun(() => existing.value, {
        ...common,
        storeResult: async () => ({ cacheKey: key, size: existing.entry.size }),
      })
      this.#remember(existing.entry, existing.value)
      return { value: existing.value, source: 'adopted' }
    }
    let thrown: { error: unknown } | undefined
    const outcome = await executeRun(
      async () => {
        try {
          return await fn.apply(self, args)
        } catch (error) {
          thrown = { error }
          throw error
        }
      },
      {
        ...common,
        storeResult: (value) => this.#storeValue(call, value, recordedArgs),
      },
    )
    // The caller gets what the function did, even when the run was ended elsewhere meanwhile.
    if (thrown !== undefined) throw thrown.error
    switch (outcome.status) {
      case 'finished':
        return { value: outcome.value, source: 'computed' }
      case 'failed':
        throw outcome.error
      case 'paused':
        throw cmError('CM_ERR_PAUSED', `cache fill ${record.id} was paused`, { details: { id: record.id } })
      default:
        if ('value' in outcome) return { value: outcome.value, source: 'computed' }
        throw outcome.error
    }
  }

  /** `storeResult` of a fill: encode and write the entry; `null` (and a warning) when not stored. */
  async #storeValue(call: Call, value: unknown, recordedArgs: unknown): Promise<ResultRef | null> {
    const { spec, key, algorithm, args } = call
    const name = spec.name
    try {
      if (!spec.shouldCache(value)) {
        this.#warn(
          'not-cacheable',
          `cache "${name}": shouldCache rejected the result; it is not stored`,
          key,
          name,
        )
        return null
      }
    } catch (err) {
      this.#warn(
        'not-cacheable',
        `cache "${name}": shouldCache threw; the result is not stored`,
        key,
        name,
        err,
      )
      return null
    }
    let tags: readonly string[]
    try {
      tags = typeof spec.tags === 'function' ? spec.tags(args, value) : spec.tags
      assertTags(tags, 'tags')
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err)
      this.#warn('tags', `cache "${name}": tags failed (${why}); the result is not stored`, key, name, err)
      return null
    }
    let text: string
    try {
      text = this.#o.codec.stringify(value)
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err)
      this.#warn(
        'encode',
        `cache "${name}": the result cannot be encoded (${why}); it is not stored`,
        key,
        name,
        err,
      )
      return null
    }
    let meta: CacheEntryMeta
    try {
      meta = await this.#o.store.cache.set({
        namespace: this.#o.namespace,
        key,
        function: name,
        functionFull: spec.functionFull,
        version: spec.versionText,
        algorithm,
        ...(spec.storeArgs && recordedArgs !== null ? { args: recordedArgs } : {}),
        value: text,
        tags,
        ttlMs: spec.ttlMs === null ? null : spec.ttlMs + spec.swrMs,
      })
    } catch (err) {
      if (isCompManagerError(err, 'CM_ERR_VALUE_TOO_LARGE')) {
        this.#warn('too-large', `cache "${name}": ${err.message}; it is not stored`, key, name, err)
      } else {
        this.#error('set', err, { key, name })
      }
      return null
    }
    this.#remember(meta, value)
    if (this.#events.has('set')) {
      this.#events.emit('set', { key, name, size: meta.size, expiresAt: meta.expiresAt })
    }
    return { cacheKey: key, size: meta.size }
  }

  /** Encoded arguments for the run record (and `storeArgs`), or `null` when too big or too deep. */
  #recordedArgs(args: unknown[]): unknown {
    const max = this.#o.maxArgsBytes
    if (max === 0) return null
    try {
      const tree = this.#o.codec.encode(args)
      if (!shallowerThan(tree, MAX_RECORDED_DEPTH)) return null
      const text = JSON.stringify(tree)
      return text.length <= max && Buffer.byteLength(text) <= max ? tree : null
    } catch {
      return null
    }
  }

  /** Reads and decodes an entry. A value that cannot be decoded is a warning and a miss (unless `strict`). */
  async #read(key: string, name: string | undefined, touch: boolean, strict: boolean): Promise<Found | null> {
    const entry = await this.#o.store.cache.get(this.#o.namespace, key, touch ? undefined : { touch: false })
    if (entry === null) return null
    try {
      return { entry, value: this.#o.codec.parse(entry.value) }
    } catch (err) {
      if (strict) throw err
      const why = err instanceof Error ? err.message : String(err)
      this.#warn(
        'decode',
        `cache entry ${key} cannot be decoded here (${why}); recomputing`,
        key,
        name ?? '',
        err,
      )
      return null
    }
  }

  #remember(meta: CacheEntryMeta, value: unknown): void {
    this.#l1?.set(
      meta.key,
      {
        value,
        function: meta.function,
        functionFull: meta.functionFull,
        version: meta.version,
        tags: meta.tags,
        createdAt: meta.createdAt,
        expiresAt: meta.expiresAt,
        size: meta.size,
      },
      this.#o.clock(),
    )
  }

  // ── explicit keys ─────────────────────────────────────────────────────────────────────────────

  /** The value stored under `key`, or `undefined`. Counts a hit or a miss. */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    this.#assertOpen()
    assertKeyArgument(key)
    const held = this.#l1?.get(key, this.#o.clock())
    if (held !== undefined) {
      this.#hit(key, undefined, 'l1')
      return held.value as T
    }
    const found = await this.#read(key, undefined, true, true)
    if (found === null) {
      this.#miss(key, undefined)
      return undefined
    }
    this.#remember(found.entry, found.value)
    this.#hit(key, undefined, 'store')
    return found.value as T
  }

  /**
   * Stores `value` under `key` (replacing any entry). Unlike a wrapped call, a value the codec cannot
   * encode or the store refuses is an error here.
   */
  async set(key: string, value: unknown, options: SetOptions = {}): Promise<CacheEntryMeta> {
    this.#assertOpen()
    assertKeyArgument(key)
    if (typeof options !== 'object' || options === null)
      invalid('options', `must be an object (got ${describeType(options)})`)
    for (const name of Object.keys(options)) {
      if (!['ttl', 'tags', 'fn', 'functionFull', 'version'].includes(name))
        invalid(name, 'is not a set option')
    }
    const fn = options.fn ?? 'cache.set'
    assertName(fn, 'fn')
    const functionFull = options.functionFull ?? fn
    assertName(functionFull, 'functionFull')
    const tags = options.tags ?? []
    assertTags(tags, 'tags')
    const version = versionOf(options.version, 'version')
    const ttlMs = ttlOf(options.ttl, 'ttl', this.#o.ttlMs)
    const text = this.#o.codec.stringify(value)
    const meta = await this.#o.store.cache.set({
      namespace: this.#o.namespace,
      key,
      function: fn,
      functionFull,
      version: version === undefined ? null : String(version),
      algorithm: 'custom',
      value: text,
      tags,
      ttlMs,
    })
    this.#remember(meta, value)
    if (this.#events.has('set'))
      this.#events.emit('set', { key, name: fn, size: meta.size, expiresAt: meta.expiresAt })
    return meta
  }

  /** True when a live entry exists under `key` (does not count a hit). */
  async has(key: string): Promise<boolean> {
    this.#assertOpen()
    assertKeyArgument(key)
    if (this.#l1?.get(key, this.#o.clock()) !== undefined) return true
    return (await this.#o.store.cache.get(this.#o.namespace, key, { touch: false })) !== null
  }

  /** Deletes the entry under `key` here and in the store; `true` if the store had it. */
  async delete(key: string): Promise<boolean> {
    this.#assertOpen()
    assertKeyArgument(key)
    this.#l1?.delete(key)
    return this.#o.store.cache.delete(this.#o.namespace, key)
  }

  /**
   * Deletes the entries matching every criterion given (`fn`, `tag`, `version`), or all of them
   * (`{ all: true }`), in the store and in this process's L1. Returns how many the store deleted.
   */
  async invalidate(criteria: InvalidateOptions): Promise<number> {
    this.#assertOpen()
    if (typeof criteria !== 'object' || criteria === null) {
      invalid('criteria', `must be { fn?, tag?, version?, all? } (got ${describeType(criteria)})`)
    }
    for (const name of Object.keys(criteria)) {
      if (!['fn', 'tag', 'version', 'all'].includes(name))
        invalid(name, 'is not an invalidate criterion (fn, tag, version, all)')
    }
    const version =
      criteria.version === undefined || criteria.version === null
        ? criteria.version
        : String(versionOf(criteria.version, 'version'))
    const store = {
      ...(criteria.fn === undefined ? {} : { function: criteria.fn }),
      ...(criteria.tag === undefined ? {} : { tag: criteria.tag }),
      ...(version === undefined ? {} : { version }),
      ...(criteria.all === undefined ? {} : { all: criteria.all }),
    }
    const count = await this.#o.store.cache.invalidate(this.#o.namespace, store)
    this.#l1?.invalidate(store)
    return count
  }

  /** Deletes expired entries (the store's, in every namespace, and this L1's); returns the store's count. */
  async purge(): Promise<number> {
    this.#assertOpen()
    const count = await this.#o.store.cache.purgeExpired()
    this.#l1?.purge(this.#o.clock())
    return count
  }

  /** Counters of this cache instance, and the namespace's entries and bytes from the store. */
  async stats(): Promise<CacheStatsResult> {
    const { entries, bytes } = await this.#o.store.cache.stats(this.#o.namespace)
    const { hits, misses, staleHits, dedupes } = this.#counters
    const lookups = hits + staleHits + misses
    return {
      hits,
      misses,
      staleHits,
      dedupes,
      hitRate: lookups === 0 ? 0 : (hits + staleHits) / lookups,
      entries,
      bytes,
      ...(this.#l1 === null ? {} : { l1: { entries: this.#l1.entries, bytes: this.#l1.bytes } }),
    }
  }

  /**
   * How the key of `name(...args)` is made: the key, its algorithm and the canonical text that was
   * hashed. Uses the options `name` was last wrapped with, overridden by `options`.
   */
  explain(name: string, args: readonly unknown[], options?: WrapOptions): Explanation {
    assertName(name, 'name')
    if (!Array.isArray(args))
      invalid('args', `must be the array of the call's arguments (got ${describeType(args)})`)
    const registered = this.#specs.get(name)
    const spec =
      options === undefined && registered !== undefined
        ? registered
        : resolveWrapOptions(name, { ...registered?.options, ...options }, this.#o.ttlMs)
    if (spec.key !== undefined)
      return { key: this.#keyOf(spec, undefined, [...args]).key, algorithm: 'custom', canonical: null }
    const input = { fn: spec.functionFull, version: spec.version, args: spec.ignoreArgs ? [] : args }
    const { key, algorithm } = hashKey(input, { codec: this.#o.codec })
    return { key, algorithm, canonical: canonicalCall(input, { codec: this.#o.codec }) }
  }

  // ── events, lifecycle ─────────────────────────────────────────────────────────────────────────

  on<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): this {
    this.#events.on(event, listener)
    return this
  }

  off<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): this {
    this.#events.off(event, listener)
    return this
  }

  once<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): this {
    this.#events.once(event, listener)
    return this
  }

  /**
   * Stops the purge timer, waits for background refreshes and empties the L1. Later calls reject
   * with `CM_ERR_STORE_UNAVAILABLE`. The store is left open: close it yourself, after this.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    await Promise.allSettled([...this.#background])
    this.#l1?.clear()
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError()
  }

  #hit(key: string, name: string | undefined, source: 'l1' | 'store'): void {
    this.#counters.hits++
    if (this.#events.has('hit')) this.#events.emit('hit', { key, name, source })
  }

  #miss(key: string, name: string | undefined): void {
    this.#counters.misses++
    if (this.#events.has('miss')) this.#events.emit('miss', { key, name })
  }

  #warn(reason: WarningReason, message: string, key: string, name: string, error?: unknown): void {
    this.#events.emit('warning', { key, name, reason, message, ...(error === undefined ? {} : { error }) })
    this.#o.logger?.warn({ key, name, reason, err: error }, message)
  }

  #error(
    during: ErrorPhase,
    error: unknown,
    where: { key?: string; name?: string; event?: string } = {},
  ): void {
    if (during !== 'listener') {
      this.#events.emit('error', {
        during,
        error,
        ...(where.key === undefined ? {} : { key: where.key }),
        ...(where.name === undefined ? {} : { name: where.name }),
      })
    }
    this.#o.logger?.error(
      { ...where, during, err: error },
      `cache: ${during} failed: ${String((error as Error)?.message ?? error)}`,
    )
  }
}

/** Fresh until `ttl`; then stale for `staleWhileRevalidate` (if set); then expired. */
function freshness(spec: WrapSpec<unknown[], unknown>, createdAt: number, now: number): Freshness {
  if (spec.ttlMs === null) return 'fresh'
  const age = now - createdAt
  if (age < spec.ttlMs) return 'fresh'
  return spec.swrMs > 0 && age < spec.ttlMs + spec.swrMs ? 'stale' : 'expired'
}

function assertKeyArgument(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 256) {
    invalid('key', `must be a non-empty string of at most 256 characters (got ${describeType(key)})`)
  }
}

/** The class that declares the decorated method (not a subclass that inherits it). */
function declaringClassName(
  self: unknown,
  context: { name: string | symbol; static: boolean; private: boolean },
  method: unknown,
): string {
  const nameOf = (ctor: unknown): string | undefined => {
    const name = (ctor as { name?: unknown } | null | undefined)?.name
    return typeof name === 'string' && name !== '' ? name : undefined
  }
  const ctorOf = (o: unknown) => (o as { constructor?: unknown } | null | undefined)?.constructor
  if (!context.private) {
    let o: unknown = context.static ? self : Object.getPrototypeOf(self)
    while (o !== null && o !== undefined) {
      if (Object.getOwnPropertyDescriptor(o, context.name)?.value === method) {
        return (context.static ? nameOf(o) : nameOf(ctorOf(o))) ?? 'anonymous'
      }
      o = Object.getPrototypeOf(o)
    }
  }
  return (context.static ? nameOf(self) : nameOf(ctorOf(self))) ?? 'anonymous'
}

/**
 * Creates a cache over a Store. Options are checked now; a bad one is a `CM_ERR_INVALID_ARGUMENT`
 * naming it.
 *
 * @example
 * const cache = createCache({ store: new SqliteStore({ path: './data/cache.db' }), namespace: 'app', ttl: '1h' })
 * const price = cache.wrap('price', async (sku: string) => fetchPrice(sku), { tags: ['prices'] })
 * await price('A-1') // computed once, then served from the store by every process
 */
export function createCache(options: CacheOptions): Cache {
  return new Cache(options)
}

/**
 * The method decorator as a function of the cache: `@cached(cache, { ttl: '1h' })`. Same as
 * `@cache.decorator(options)`.
 */
// biome-ignore lint/suspicious/noExplicitAny: the decorated method's types are inferred where it is applied
export function cached<A extends unknown[] = any[], R = any>(
  cache: Cache,
  options?: DecoratorOptions<A, R>,
): CachedMethodDecorator {
  if (!(cache instanceof Cache))
    invalid('cache', `must be a Cache from createCache (got ${describeType(cache)})`)
  return cache.decorator(options)
}
