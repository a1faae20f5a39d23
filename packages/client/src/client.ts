import createFetchClient, { type Client as FetchClient } from 'openapi-fetch'
import { decodeCacheEntry, decodeComputation, defaultDecoder, type ValueDecoder } from './decode.js'
import { apiErrorFrom, NetworkError } from './errors.js'
import { routes } from './routes.js'
import type { paths } from './schema.gen.js'
import { parseSse, type SseMessage } from './sse.js'
import { backoffDelay, Call, type RetryInfo, type RetryPolicy, send, sleep } from './transport.js'
import type {
  CacheEntry,
  CacheEntryMeta,
  CacheEntryPage,
  CacheFilters,
  CacheStats,
  Computation,
  ComputationEvent,
  ComputationFilters,
  ComputationPage,
  CreateComputation,
  Health,
  HealthReport,
  InvalidateCache,
  InvalidateResult,
  UpdateComputation,
} from './types.js'

/** A `fetch` implementation: the global one by default (Node ≥ 20, browsers, Deno, Bun). */
export type FetchFn = (input: Request) => Promise<Response>

/** The credentials of a request: a JWT (or a function returning a fresh one) or an API key. */
export type TokenSource = string | (() => string | Promise<string>)

export interface ClientOptions {
  /** The server's root URL, e.g. `http://localhost:3000` (the API paths start with `/api/v1`). */
  baseUrl: string
  /** A bearer token (JWT), or a function returning one (called before each request, e.g. to refresh). */
  token?: TokenSource | undefined
  /** An API key (`cmk_<id>_<secret>`), sent as `x-api-key`. Exclusive with `token`. */
  apiKey?: string | undefined
  /** The `fetch` to use (default: `globalThis.fetch`), e.g. to add tracing or use a custom agent. */
  fetch?: FetchFn | undefined
  /** Extra attempts of idempotent requests on 429/503 (and of GETs on network errors). Default 2. */
  retries?: number | undefined
  /** Bound on each call, retries and their waits included; `0` for none. Default 30 000 ms. */
  timeoutMs?: number | undefined
  /** First backoff delay between attempts (doubled each time, with jitter). Default 250 ms. */
  retryDelayMs?: number | undefined
  /** Longest wait between attempts; a longer `retry-after` is not waited for. Default 30 000 ms. */
  maxRetryDelayMs?: number | undefined
  /** Headers added to every request. */
  headers?: Record<string, string> | undefined
  /** The namespace every call looks in, unless the call names one (default: the server's choice for the credentials). */
  namespace?: string | undefined
  /** Decode codec-tagged values (`args`, cache values) into real objects. Default `false`. */
  decode?: boolean | undefined
  /** The codec `decode` uses: default core's `defaultCodec`; pass one with `@comp-manager/codec-math` registered for mathjs values. */
  codec?: ValueDecoder | undefined
  /** Called before each retry (for logs and metrics). */
  onRetry?: ((info: RetryInfo) => void) | undefined
}

/** Per-call options, accepted by every method as its last argument. */
export interface CallOptions {
  /** Cancels the call: it then rejects with `AbortError`. */
  signal?: AbortSignal | undefined
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number | undefined
  /** Overrides the client's `retries` for this call. */
  retries?: number | undefined
  /** Overrides the client's `decode` for this call. */
  decode?: boolean | undefined
  /** Sent as `x-request-id`: the server logs the request under this id and returns it in errors. */
  requestId?: string | undefined
  /** Extra headers for this call. */
  headers?: Record<string, string> | undefined
  /** The namespace to look in (`?namespace=`), for routes of one record, events and stats. */
  namespace?: string | undefined
}

/** One raw server-sent event: its `event` name and parsed `data`. */
export interface ServerSentEvent {
  /** The SSE `event` field (`'message'` when the server sent none). */
  type: string
  /** The event's `data`, parsed as JSON when it is JSON (decoded when `decode` is on). */
  data: unknown
  /** The SSE `id`, used to resume after a dropped connection. */
  id: string
}

export interface WatchOptions extends CallOptions {
  /** Reconnections after the stream drops before its `end` event. Default: the client's `retries`. */
  reconnects?: number | undefined
}

export interface ComputationsApi {
  /** One page of computations: `{ data, page, per_page, total, pages }`. */
  list(filters?: ComputationFilters, options?: CallOptions): Promise<ComputationPage>
  /** Every computation matching `filters`, page after page (`per_page` 100 unless given). */
  all(
    filters?: Omit<ComputationFilters, 'page'>,
    options?: CallOptions,
  ): AsyncGenerator<Computation, void, void>
  /** One computation; `ApiError<'CM_ERR_NOT_FOUND'>` when absent (or outside the caller's namespaces). */
  get(id: string, options?: CallOptions): Promise<Computation>
  /** Creates a record (e.g. `queued`). Never retried. */
  create(body: CreateComputation, options?: CallOptions): Promise<Computation>
  /** Changes status/message/progress through the state machine (`CM_ERR_INVALID_TRANSITION` → 409). */
  update(id: string, body: UpdateComputation, options?: CallOptions): Promise<Computation>
  /** Deletes a record (admin). */
  delete(id: string, options?: CallOptions): Promise<void>
  /** The raw server-sent events of a computation, every event type, until the server closes the stream. */
  events(id: string, options?: CallOptions): AsyncGenerator<ServerSentEvent, void, void>
  /**
   * The live events of a computation (`status`, `progress`, then `end`), ending after `end`; reconnects
   * (up to `reconnects` times in a row) when the stream drops before it.
   */
  watch(id: string, options?: WatchOptions): AsyncGenerator<ComputationEvent, void, void>
}

export interface CacheApi {
  /** One page of cache entries (metadata, without values). */
  list(filters?: CacheFilters, options?: CallOptions): Promise<CacheEntryPage>
  /** Every cache entry matching `filters`, page after page. */
  all(filters?: Omit<CacheFilters, 'page'>, options?: CallOptions): AsyncGenerator<CacheEntryMeta, void, void>
  /** One entry with its value (decoded when `decode` is on). */
  get(key: string, options?: CallOptions): Promise<CacheEntry>
  /** Drops one entry. */
  delete(key: string, options?: CallOptions): Promise<void>
  /** Drops entries by `function`, `tag`, `version`, or all of a namespace. Never retried. */
  invalidate(body: InvalidateCache, options?: CallOptions): Promise<InvalidateResult>
  /** Hits, misses, hit rate, entries, bytes. */
  stats(options?: CallOptions): Promise<CacheStats>
}

/** The comp-manager client: `createClient({ baseUrl, token })`. */
export interface CompManagerClient {
  readonly computations: ComputationsApi
  readonly cache: CacheApi
  /** Liveness: `{ status: 'ok' }`. */
  health(options?: CallOptions): Promise<Health>
  /** Each registered check (store ping with latency…). Resolves with the report on 503 too: read `status`. */
  healthDetailed(options?: CallOptions): Promise<HealthReport>
  /**
   * The typed openapi-fetch client over the same transport (auth, retries, timeout): any route of the
   * generated `paths`, returning `{ data, error, response }` without throwing on error statuses.
   */
  readonly raw: FetchClient<paths>
}

const knownOptions = new Set<string>([
  'baseUrl',
  'token',
  'apiKey',
  'fetch',
  'retries',
  'timeoutMs',
  'retryDelayMs',
  'maxRetryDelayMs',
  'headers',
  'namespace',
  'decode',
  'codec',
  'onRetry',
])

function fail(message: string): never {
  throw new TypeError(`@comp-manager/client: ${message}`)
}

function nonNegativeInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    fail(`option \`${name}\` must be a non-negative integer (got ${String(value)})`)
  }
  return value
}

function checkOptions(options: ClientOptions): void {
  if (typeof options !== 'object' || options === null) fail('createClient() needs an options object')
  for (const key of Object.keys(options)) {
    if (!knownOptions.has(key)) fail(`unknown option \`${key}\` (known: ${[...knownOptions].join(', ')})`)
  }
  if (typeof options.baseUrl !== 'string' || options.baseUrl === '') {
    fail('option `baseUrl` is required: the server URL, e.g. "http://localhost:3000"')
  }
  if (options.token !== undefined && options.apiKey !== undefined) {
    fail('give `token` or `apiKey`, not both (the server refuses requests carrying both)')
  }
  if (
    options.token !== undefined &&
    typeof options.token !== 'string' &&
    typeof options.token !== 'function'
  ) {
    fail('option `token` must be a string or a function returning one')
  }
  if (options.apiKey !== undefined && typeof options.apiKey !== 'string')
    fail('option `apiKey` must be a string')
  if (options.fetch !== undefined && typeof options.fetch !== 'function')
    fail('option `fetch` must be a function')
  if (options.codec !== undefined && typeof options.codec?.decode !== 'function') {
    fail('option `codec` must be a Codec (with `decode`) from @comp-manager/core/codec')
  }
}

/** `/api/v1/computations/{id}` with its parameters filled, for error messages. */
function pathOf(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''))
}

const eventTypes = new Set(['status', 'progress', 'end'])

/** Creates a client. Options are checked now: a bad or unknown one throws a `TypeError` naming it. */
export function createClient(options: ClientOptions): CompManagerClient {
  checkOptions(options)
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  const retries = nonNegativeInteger(options.retries, 'retries', 2)
  const timeoutMs = nonNegativeInteger(options.timeoutMs, 'timeoutMs', 30_000)
  const policyBase: RetryPolicy = {
    retries,
    retryDelayMs: nonNegativeInteger(options.retryDelayMs, 'retryDelayMs', 250),
    maxRetryDelayMs: nonNegativeInteger(options.maxRetryDelayMs, 'maxRetryDelayMs', 30_000),
    onRetry: options.onRetry,
  }
  const fetchImpl: FetchFn = options.fetch ?? ((request) => globalThis.fetch(request))
  const codec = options.codec ?? defaultDecoder
  const decodeDefault = options.decode === true
  const token = options.token
  const apiKey = options.apiKey
  const baseHeaders = { accept: 'application/json', ...options.headers }
  const defaultNamespace = options.namespace
  /** The `?namespace=` of one-record routes. */
  const nsQuery = (opts: CallOptions | undefined) => {
    const namespace = opts?.namespace ?? defaultNamespace
    return namespace === undefined ? {} : { namespace }
  }
  /** Listing filters with the client's namespace unless they name one. */
  const withNs = <F extends { namespace?: string }>(filters: F): F =>
    filters.namespace === undefined && defaultNamespace !== undefined
      ? { ...filters, namespace: defaultNamespace }
      : filters

  const raw = createFetchClient<paths>({
    baseUrl,
    headers: baseHeaders,
    fetch: (request) => rawSend(request),
  })

  // `raw` calls go through the same transport with the client's defaults.
  async function rawSend(request: Request): Promise<Response> {
    const call = new Call(request.method, request.url, timeoutMs, request.signal)
    try {
      const headers = new Headers(request.headers)
      await addAuth(headers)
      return await send(fetchImpl, new Request(request, { headers }), call, policyBase)
    } catch (err) {
      throw call.mapError(err)
    } finally {
      call.dispose()
    }
  }

  async function addAuth(headers: Headers): Promise<void> {
    if (apiKey !== undefined) headers.set('x-api-key', apiKey)
    else if (token !== undefined) {
      const value = typeof token === 'function' ? await token() : token
      if (value) headers.set('authorization', `Bearer ${value}`)
    }
  }

  async function callHeaders(opts: CallOptions | undefined, accept?: string): Promise<Headers> {
    const headers = new Headers(baseHeaders)
    for (const [k, v] of Object.entries(opts?.headers ?? {})) headers.set(k, v)
    if (accept) headers.set('accept', accept)
    if (opts?.requestId !== undefined) headers.set('x-request-id', opts.requestId)
    await addAuth(headers)
    return headers
  }

  /** A bare openapi-fetch client for the typed calls below (its `fetch` is given per call). */
  const typed = createFetchClient<paths>({ baseUrl })

  interface Outcome<T> {
    data?: T
    error?: unknown
    response: Response
  }

  /**
   * Runs one typed call: builds its `Call` (signal + timeout), sends through the retrying transport,
   * turns an error status into an `ApiError`, and maps low-level failures to the client's errors.
   */
  async function invoke<T>(
    method: string,
    path: string,
    opts: CallOptions | undefined,
    exec: (init: { fetch: FetchFn; headers: Headers }) => Promise<Outcome<T>>,
    extra: { ok?: readonly number[]; retries?: number } = {},
  ): Promise<{ data: T; response: Response }> {
    const call = new Call(method, baseUrl + path, opts?.timeoutMs ?? timeoutMs, opts?.signal)
    const policy = { ...policyBase, retries: opts?.retries ?? extra.retries ?? policyBase.retries }
    try {
      const headers = await callHeaders(opts)
      const outcome = await exec({ fetch: (request) => send(fetchImpl, request, call, policy), headers })
      const accepted =
        extra.ok?.includes(outcome.response.status) === true &&
        // An accepted error status carries its own body (the health report), not the error body.
        !(typeof outcome.error === 'object' && outcome.error !== null && 'requestId' in outcome.error)
      if (!outcome.response.ok && !accepted) throw apiErrorFrom(outcome.response, outcome.error, method)
      return { data: (outcome.data ?? outcome.error) as T, response: outcome.response }
    } catch (err) {
      throw call.mapError(err)
    } finally {
      call.dispose()
    }
  }

  const wantsDecode = (opts: CallOptions | undefined) => opts?.decode ?? decodeDefault
  const id = (value: string, name: string) => {
    if (typeof value !== 'string' || value === '') fail(`\`${name}\` must be a non-empty string`)
    return value
  }

  async function* paginate<F extends { page?: number; per_page?: number }, T>(
    list: (filters: F, opts?: CallOptions) => Promise<{ data: T[]; pages: number }>,
    filters: F,
    opts: CallOptions | undefined,
  ): AsyncGenerator<T, void, void> {
    let page = 1
    const perPage = filters.per_page ?? 100
    for (;;) {
      const result = await list({ ...filters, page, per_page: perPage }, opts)
      for (const item of result.data) yield item
      if (result.data.length === 0 || page >= result.pages) return
      page++
    }
  }

  function parseData(message: SseMessage, decode: boolean): unknown {
    let data: unknown
    try {
      data = JSON.parse(message.data)
    } catch {
      return message.data
    }
    // The events carry a computation record (or null for `end` of a deleted one).
    return decode && typeof data === 'object' && data !== null && 'args' in data
      ? decodeComputation(data, codec)
      : data
  }

  /** Opens the event stream of a computation; resolves once the server has answered with 200. */
  async function openEvents(
    computationId: string,
    opts: CallOptions | undefined,
    lastEventId: string | undefined,
  ): Promise<{ stream: ReadableStream<Uint8Array>; call: Call }> {
    const call = new Call(
      'GET',
      baseUrl + pathOf(routes.events, { id: computationId }),
      opts?.timeoutMs ?? timeoutMs,
      opts?.signal,
    )
    const policy = { ...policyBase, retries: opts?.retries ?? policyBase.retries }
    try {
      const headers = await callHeaders(opts, 'text/event-stream')
      if (lastEventId) headers.set('last-event-id', lastEventId)
      const outcome = await typed.GET(routes.events, {
        params: { path: { id: computationId }, query: nsQuery(opts) },
        parseAs: 'stream',
        headers,
        fetch: (request: Request) => send(fetchImpl, request, call, policy),
      })
      if (!outcome.response.ok) throw apiErrorFrom(outcome.response, outcome.error, 'GET')
      const stream =
        outcome.response.status === 204 ? null : (outcome.data as ReadableStream<Uint8Array> | null)
      if (!stream)
        throw new NetworkError('GET', call.url, { cause: new Error('the event stream has no body') })
      // Connected: the timeout bounded the connection, not the life of the stream.
      call.clearTimeout()
      return { stream, call }
    } catch (err) {
      call.dispose()
      throw call.mapError(err)
    }
  }

  const computations: ComputationsApi = {
    async list(filters = {}, opts) {
      const { data } = await invoke<ComputationPage>('GET', routes.computations, opts, (init) =>
        typed.GET(routes.computations, { params: { query: withNs(filters) }, ...init }),
      )
      return wantsDecode(opts) ? { ...data, data: data.data.map((c) => decodeComputation(c, codec)) } : data
    },
    all(filters = {}, opts) {
      return paginate(computations.list, filters as ComputationFilters, opts)
    },
    async get(computationId, opts) {
      const path = { id: id(computationId, 'id') }
      const { data } = await invoke<Computation>('GET', pathOf(routes.computation, path), opts, (init) =>
        typed.GET(routes.computation, { params: { path, query: nsQuery(opts) }, ...init }),
      )
      return wantsDecode(opts) ? decodeComputation(data, codec) : data
    },
    async create(body, opts) {
      const withNamespace =
        body.namespace === undefined && defaultNamespace !== undefined
          ? { ...body, namespace: defaultNamespace }
          : body
      const { data } = await invoke<Computation>('POST', routes.computations, opts, (init) =>
        typed.POST(routes.computations, { body: withNamespace, ...init }),
      )
      return wantsDecode(opts) ? decodeComputation(data, codec) : data
    },
    async update(computationId, body, opts) {
      const path = { id: id(computationId, 'id') }
      const { data } = await invoke<Computation>('PUT', pathOf(routes.computation, path), opts, (init) =>
        typed.PUT(routes.computation, { params: { path, query: nsQuery(opts) }, body, ...init }),
      )
      return wantsDecode(opts) ? decodeComputation(data, codec) : data
    },
    async delete(computationId, opts) {
      const path = { id: id(computationId, 'id') }
      await invoke<unknown>('DELETE', pathOf(routes.computation, path), opts, (init) =>
        typed.DELETE(routes.computation, { params: { path, query: nsQuery(opts) }, ...init }),
      )
    },
    async *events(computationId, opts) {
      id(computationId, 'id')
      const decode = wantsDecode(opts)
      const { stream, call } = await openEvents(computationId, opts, undefined)
      try {
        for await (const message of parseSse(stream)) {
          yield { type: message.event, data: parseData(message, decode), id: message.id }
        }
      } catch (err) {
        throw call.mapError(err)
      } finally {
        call.dispose()
      }
    },
    async *watch(computationId, opts) {
      id(computationId, 'id')
      const decode = wantsDecode(opts)
      const maxReconnects = nonNegativeInteger(opts?.reconnects, 'reconnects', opts?.retries ?? retries)
      let lastEventId: string | undefined
      let reconnects = 0
      for (;;) {
        const { stream, call } = await openEvents(computationId, opts, lastEventId)
        let dropped: unknown
        try {
          for await (const message of parseSse(stream)) {
            if (message.id) lastEventId = message.id
            if (!eventTypes.has(message.event)) continue
            reconnects = 0
            yield {
              type: message.event,
              data: parseData(message, decode),
              id: message.id,
            } as ComputationEvent
            if (message.event === 'end') return
          }
          dropped = new NetworkError('GET', call.url, {
            cause: new Error('the event stream closed before its end event'),
          })
        } catch (err) {
          const mapped = call.mapError(err)
          if (!(mapped instanceof NetworkError)) throw mapped
          dropped = mapped
        } finally {
          call.dispose()
        }
        if (reconnects >= maxReconnects) throw dropped
        reconnects++
        const signal = opts?.signal ?? new AbortController().signal
        try {
          await sleep(backoffDelay(reconnects, policyBase), signal)
        } catch {
          throw call.mapError(signal.reason)
        }
      }
    },
  }

  const cache: CacheApi = {
    async list(filters = {}, opts) {
      const { data } = await invoke<CacheEntryPage>('GET', routes.cache, opts, (init) =>
        typed.GET(routes.cache, { params: { query: withNs(filters) }, ...init }),
      )
      return wantsDecode(opts) ? { ...data, data: data.data.map((e) => decodeCacheEntry(e, codec)) } : data
    },
    all(filters = {}, opts) {
      return paginate(cache.list, filters as CacheFilters, opts)
    },
    async get(key, opts) {
      const path = { key: id(key, 'key') }
      const { data } = await invoke<CacheEntry>('GET', pathOf(routes.cacheEntry, path), opts, (init) =>
        typed.GET(routes.cacheEntry, { params: { path, query: nsQuery(opts) }, ...init }),
      )
      return wantsDecode(opts) ? decodeCacheEntry(data, codec) : data
    },
    async delete(key, opts) {
      const path = { key: id(key, 'key') }
      await invoke<unknown>('DELETE', pathOf(routes.cacheEntry, path), opts, (init) =>
        typed.DELETE(routes.cacheEntry, { params: { path, query: nsQuery(opts) }, ...init }),
      )
    },
    async invalidate(body, opts) {
      const withNamespace =
        body.namespace === undefined && defaultNamespace !== undefined
          ? { ...body, namespace: defaultNamespace }
          : body
      const { data } = await invoke<InvalidateResult>('POST', routes.cacheInvalidate, opts, (init) =>
        typed.POST(routes.cacheInvalidate, { body: withNamespace, ...init }),
      )
      return data
    },
    async stats(opts) {
      const { data } = await invoke<CacheStats>('GET', routes.cacheStats, opts, (init) =>
        typed.GET(routes.cacheStats, { params: { query: nsQuery(opts) }, ...init }),
      )
      return data
    },
  }

  return {
    computations,
    cache,
    raw,
    async health(opts) {
      const { data } = await invoke<Health>('GET', routes.health, opts, (init) =>
        typed.GET(routes.health, init),
      )
      return data
    },
    async healthDetailed(opts) {
      const { data } = await invoke<HealthReport>(
        'GET',
        routes.healthDetailed,
        opts,
        (init) => typed.GET(routes.healthDetailed, init) as Promise<Outcome<HealthReport>>,
        // A failing check is an answer, not an error: no retry on its 503, and no throw.
        { ok: [503], retries: 0 },
      )
      return data
    },
  }
}
