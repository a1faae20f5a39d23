import { defaultDecoder, type ValueDecoder } from './decode.js'
import type { RetryInfo, RetryPolicy } from './transport.js'

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
  /** Overrides the client's `timeoutMs` for this call (milliseconds). */
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

export interface WatchOptions extends CallOptions {
  /** Reconnections after the stream drops before its `end` event. Default: the client's `retries`. */
  reconnects?: number | undefined
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

/** `createClient`'s options, checked and with their defaults. */
export interface ClientConfig {
  baseUrl: string
  /** How requests authenticate (read by the credentials middleware). */
  auth: { apiKey: string } | { token: TokenSource } | undefined
  fetch: FetchFn
  /** Retries, backoff and `onRetry`: the client's defaults, which a call may override. */
  policy: RetryPolicy
  timeoutMs: number
  headers: Record<string, string>
  namespace: string | undefined
  decode: boolean
  codec: ValueDecoder
}

/** Checks `createClient`'s options (a bad or unknown one throws a `TypeError` naming it) and applies the defaults. */
export function resolveOptions(options: ClientOptions): ClientConfig {
  checkOptions(options)
  return {
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    auth:
      options.apiKey !== undefined
        ? { apiKey: options.apiKey }
        : options.token !== undefined
          ? { token: options.token }
          : undefined,
    fetch: options.fetch ?? ((request) => globalThis.fetch(request)),
    policy: {
      retries: nonNegativeInteger(options.retries, 'retries', 2),
      retryDelayMs: nonNegativeInteger(options.retryDelayMs, 'retryDelayMs', 250),
      maxRetryDelayMs: nonNegativeInteger(options.maxRetryDelayMs, 'maxRetryDelayMs', 30_000),
      onRetry: options.onRetry,
    },
    timeoutMs: nonNegativeInteger(options.timeoutMs, 'timeoutMs', 30_000),
    headers: { accept: 'application/json', ...options.headers },
    namespace: options.namespace,
    decode: options.decode === true,
    codec: options.codec ?? defaultDecoder,
  }
}

/** `watch()`'s `reconnects`, checked, else `fallback`. */
export function reconnectsOf(options: WatchOptions | undefined, fallback: number): number {
  return nonNegativeInteger(options?.reconnects, 'reconnects', fallback)
}

/** `value` when it is a non-empty string (an id, a key), else a `TypeError` naming `name`. */
export function required(value: string, name: string): string {
  if (typeof value !== 'string' || value === '') {
    fail(`\`${name}\` must be a non-empty string`)
  }
  return value
}
