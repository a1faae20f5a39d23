import {
  CallbackSchema,
  type Duration,
  DurationSchema,
  defineOptions,
  InstanceSchema,
  NamespaceOptionSchema,
} from '@comp-manager/core/options'
import { type TSchema, type TSchemaOptions, Type } from 'typebox'
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
  /** Bound on each call, retries and their waits included; `0` for none. Milliseconds or `'30s'`. Default 30 000 ms. */
  timeoutMs?: Duration | undefined
  /** First backoff delay between attempts (doubled each time, with jitter). Milliseconds or `'250ms'`. Default 250 ms. */
  retryDelayMs?: Duration | undefined
  /** Longest wait between attempts; a longer `retry-after` is not waited for. Milliseconds or `'30s'`. Default 30 000 ms. */
  maxRetryDelayMs?: Duration | undefined
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

const expected = (words: string): TSchemaOptions => ({ expected: words }) as TSchemaOptions

const CodecSchema = InstanceSchema<ValueDecoder>(
  (value) =>
    typeof (value as Partial<ValueDecoder> | null)?.decode === 'function'
      ? undefined
      : 'must be a Codec (with `decode`) from @comp-manager/core/codec',
  'a Codec',
)

/** The options of `createClient`, one schema each (`satisfies`: the schema and `ClientOptions` list the same keys). */
export const ClientOptionsSchema = Type.Object(
  {
    baseUrl: Type.String({ minLength: 1, ...expected('the server URL, e.g. "http://localhost:3000"') }),
    token: Type.Optional(
      Type.Unsafe<TokenSource>(
        Type.Union([Type.String(), CallbackSchema()], expected('a string or a function returning one')),
      ),
    ),
    apiKey: Type.Optional(Type.String()),
    fetch: Type.Optional(
      Type.Unsafe<FetchFn>(CallbackSchema('a fetch function: (request) => Promise<Response>')),
    ),
    retries: Type.Optional(Type.Integer({ minimum: 0 })),
    timeoutMs: Type.Optional(DurationSchema({ min: 0 })),
    retryDelayMs: Type.Optional(DurationSchema({ min: 0 })),
    maxRetryDelayMs: Type.Optional(DurationSchema({ min: 0 })),
    headers: Type.Optional(
      Type.Record(Type.String(), Type.String(), expected('an object of header names to string values')),
    ),
    namespace: Type.Optional(NamespaceOptionSchema),
    decode: Type.Optional(Type.Boolean()),
    codec: Type.Optional(CodecSchema),
    onRetry: Type.Optional(Type.Unsafe<(info: RetryInfo) => void>(CallbackSchema())),
  } satisfies Record<keyof ClientOptions, TSchema>,
  { additionalProperties: false },
)

const clientOptions = defineOptions(ClientOptionsSchema, {
  package: '@comp-manager/client',
  what: 'createClient()',
})

const watchOptions = defineOptions(Type.Object({ reconnects: Type.Optional(Type.Integer({ minimum: 0 })) }), {
  package: '@comp-manager/client',
  what: 'watch()',
  optional: true,
})

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

/**
 * The bad option's `CM_ERR_INVALID_ARGUMENT` (which names the package and the option) as a `TypeError`,
 * as the client has always thrown for a programming mistake; the original is its `cause`.
 */
function asTypeError<T>(parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    throw new TypeError((err as Error).message, { cause: err })
  }
}

/** Checks `createClient`'s options (a bad or unknown one throws a `TypeError` naming it) and applies the defaults. */
export function resolveOptions(input: ClientOptions): ClientConfig {
  const options = asTypeError(() => {
    const parsed = clientOptions.parse(input)
    if (parsed.token !== undefined && parsed.apiKey !== undefined) {
      clientOptions.fail(
        'apiKey',
        'cannot be combined with `token`: give `token` or `apiKey`, not both (the server refuses requests carrying both)',
      )
    }
    return parsed
  })
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
      retries: options.retries ?? 2,
      retryDelayMs: options.retryDelayMs ?? 250,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
      onRetry: options.onRetry,
    },
    timeoutMs: options.timeoutMs ?? 30_000,
    headers: { accept: 'application/json', ...options.headers },
    namespace: options.namespace,
    decode: options.decode === true,
    codec: options.codec ?? defaultDecoder,
  }
}

/** `watch()`'s `reconnects`, checked, else `fallback`. */
export function reconnectsOf(options: WatchOptions | undefined, fallback: number): number {
  return asTypeError(() => watchOptions.parse(options ?? {})).reconnects ?? fallback
}

/** `value` when it is a non-empty string (an id, a key), else a `TypeError` naming `name`. */
export function required(value: string, name: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`@comp-manager/client: \`${name}\` must be a non-empty string`)
  }
  return value
}
