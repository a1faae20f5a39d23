/**
 * The client core: the checked options and the one openapi-fetch client every call goes through (base
 * URL, default headers, the credentials middleware, the retrying transport), and the two ways an SDK
 * method runs a call: {@link Core.call} for a JSON answer and {@link Core.open} for an event stream.
 */
import createFetchClient, { type Client as FetchClient, type Middleware } from 'openapi-fetch'
import type { ValueDecoder } from './decode.js'
import { NetworkError } from './errors.js'
import { type Credentials, callMiddleware, credentials } from './middleware.js'
import type { CallOptions, ClientConfig, FetchFn } from './options.js'
import type { paths } from './schema.gen.js'
import { Call, type RetryPolicy, send } from './transport.js'

/** What an SDK method passes to its openapi-fetch call, spread after its own `params` and `body`. */
export interface CallInit {
  /** The transport bound to this call (its signal, timeout and retries). */
  fetch: FetchFn
  /** The call's own headers (`CallOptions.headers`), over the client's. */
  headers: Record<string, string>
  middleware: Middleware[]
}

/** What openapi-fetch resolves with. */
interface Outcome<T> {
  data?: T
  error?: unknown
  response: Response
}

export interface CallExtra<T> {
  /** Statuses that are an answer for this route (the health report's 503): resolved with, not thrown. */
  accept?: readonly number[]
  /** Retries when the call does not say (default: the client's). */
  retries?: number
  /** Decodes the answer with the codec, when `decode` is on for the call (see decode.ts). */
  decode?: (data: T, codec: ValueDecoder) => T
}

/**
 * The client core: one per `createClient`. The resource files (computations.ts, cache.ts, health.ts,
 * events.ts) call `api` through {@link Core.call} or {@link Core.open}.
 */
export class Core {
  readonly config: ClientConfig
  /** The one openapi-fetch client (also `client.raw`). */
  readonly api: FetchClient<paths>
  /** What the next request authenticates with (changed by `auth.token()`). */
  #auth: Credentials

  constructor(config: ClientConfig) {
    this.config = config
    this.api = createFetchClient<paths>({
      baseUrl: config.baseUrl,
      headers: config.headers,
      fetch: this.#rawSend,
    })
    this.#auth = config.auth
    this.api.use(credentials(() => this.#auth))
  }

  /** The client's API key, if it authenticates with one. */
  apiKey(): string | undefined {
    const auth = this.#auth
    return auth !== undefined && 'apiKey' in auth ? auth.apiKey : undefined
  }

  /** Sends `token` instead of `apiKey` until `untilMs` (epoch ms), then the key again. */
  useToken(apiKey: string, token: string, untilMs: number): void {
    this.#auth = { apiKey, exchanged: { token, tokenUntilMs: untilMs } }
  }

  /** `raw` calls (no `CallInit`) go through the same transport, with the client's defaults. */
  readonly #rawSend = async (request: Request): Promise<Response> => {
    const call = new Call(this.config.timeoutMs, request.signal)
    try {
      return await send(this.config.fetch, request, call, this.config.policy)
    } catch (err) {
      throw call.mapError(err)
    } finally {
      call.dispose()
    }
  }

  /** A call's `Call` (signal + timeout, started now) and the openapi-fetch `init` that routes it through it. */
  #start(opts: CallOptions | undefined, retries?: number, accept?: readonly number[]) {
    const { fetch, policy } = this.config
    const call = new Call(opts?.timeoutMs ?? this.config.timeoutMs, opts?.signal)
    const callPolicy: RetryPolicy = { ...policy, retries: opts?.retries ?? retries ?? policy.retries }
    const init: CallInit = {
      fetch: (request) => send(fetch, request, call, callPolicy),
      headers: { ...opts?.headers },
      middleware: [callMiddleware({ requestId: opts?.requestId, accept })],
    }
    return { call, init }
  }

  /**
   * Runs one call: `exec` calls openapi-fetch with the `init` of this call; resolves with the (decoded)
   * data; rejects with `ApiError`, `NetworkError`, `TimeoutError` or `AbortError`.
   */
  async call<T>(
    opts: CallOptions | undefined,
    exec: (init: CallInit) => Promise<Outcome<T>>,
    extra: CallExtra<NoInfer<T>> = {},
  ): Promise<T> {
    const { call, init } = this.#start(opts, extra.retries, extra.accept)
    let data: T
    try {
      const outcome = await exec(init)
      // An accepted error status (`extra.accept`) resolves with its body.
      data = (outcome.data ?? outcome.error) as T
    } catch (err) {
      throw call.mapError(err)
    } finally {
      call.dispose()
    }
    const codec = this.decoder(opts)
    return extra.decode && codec ? extra.decode(data, codec) : data
  }

  /** Opens a `text/event-stream`; resolves once connected (the timeout bounded the connection only). */
  async open(
    opts: CallOptions | undefined,
    headers: Record<string, string>,
    exec: (init: CallInit) => Promise<Outcome<unknown>>,
  ): Promise<{ stream: ReadableStream<Uint8Array>; call: Call }> {
    const { call, init } = this.#start(opts)
    try {
      const outcome = await exec({ ...init, headers: { ...init.headers, ...headers } })
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

  /** `{ namespace }` for `?namespace=`: the call's, else the client's, else nothing. */
  query(opts: CallOptions | undefined): { namespace?: string } {
    const namespace = opts?.namespace ?? this.config.namespace
    return namespace === undefined ? {} : { namespace }
  }

  /** Listing filters or a body with the client's namespace unless they name one. */
  withNamespace<F extends { namespace?: string }>(value: F): F {
    const { namespace } = this.config
    return value.namespace === undefined && namespace !== undefined ? { ...value, namespace } : value
  }

  /** The codec when the call decodes (`decode` per call, else the client's), else `undefined`. */
  decoder(opts: CallOptions | undefined): ValueDecoder | undefined {
    return (opts?.decode ?? this.config.decode) ? this.config.codec : undefined
  }
}
