import {
  AbortError,
  ApiError,
  ClientError,
  NetworkError,
  parseRetryAfter,
  TimeoutError,
  withoutCredentials,
} from './errors.js'

/** What the client does between attempts of a retried request. */
export interface RetryInfo {
  /** The attempt that just failed: 1 for the first. */
  attempt: number
  /** Milliseconds before the next attempt. */
  delayMs: number
  method: string
  url: string
  /** The status that caused the retry, or the network error. */
  reason: number | NetworkError
}

export interface RetryPolicy {
  /** Extra attempts after the first (0: none). */
  retries: number
  /** First backoff delay; doubled at each attempt, with jitter. */
  retryDelayMs: number
  /** Longest wait between attempts, `retry-after` included: a longer `retry-after` is not waited for. */
  maxRetryDelayMs: number
  onRetry?: ((info: RetryInfo) => void) | undefined
}

/** Methods safe to send twice. POST never is. */
const idempotent = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
/** Methods retried after a network error (the request may have reached the server: only reads). */
const retriedOnNetworkError = new Set(['GET', 'HEAD', 'OPTIONS'])
/** Statuses that mean "try again later". */
const retriedStatuses = new Set([429, 503])

/**
 * One call: its cancellation (the caller's `signal` combined with the timeout) and the mapping of
 * low-level failures to the client's error classes. The timeout starts at construction; the method and
 * URL that error messages name are known once openapi-fetch has built the request ({@link describe}).
 */
export class Call {
  method = 'GET'
  url = ''
  readonly timeoutMs: number
  readonly #controller = new AbortController()
  readonly #userSignal: AbortSignal | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  #timedOut = false
  #described = false
  readonly #onUserAbort = () => this.#controller.abort(this.#userSignal?.reason)

  constructor(timeoutMs: number, signal?: AbortSignal) {
    this.timeoutMs = timeoutMs
    this.#userSignal = signal
    if (signal?.aborted) this.#controller.abort(signal.reason)
    else signal?.addEventListener('abort', this.#onUserAbort, { once: true })
    if (timeoutMs > 0 && Number.isFinite(timeoutMs) && !this.#controller.signal.aborted) {
      this.deadline = Date.now() + timeoutMs
      this.#timer = setTimeout(() => {
        this.#timedOut = true
        this.#controller.abort(new TimeoutError(this.method, this.url, timeoutMs))
      }, timeoutMs)
    }
  }

  /** Names the request in error messages (its URL without credentials). */
  describe(request: Request): void {
    this.method = request.method.toUpperCase()
    this.url = withoutCredentials(request.url)
    this.#described = true
  }

  /** Aborts on the caller's signal or on the timeout. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** When the timeout fires (epoch ms; Infinity without a timeout). */
  deadline = Number.POSITIVE_INFINITY

  /** Stops the timeout (a stream that has connected lives as long as the caller wants). */
  clearTimeout(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.deadline = Number.POSITIVE_INFINITY
  }

  /** Releases the timer and the listener on the caller's signal. */
  dispose(): void {
    this.clearTimeout()
    this.#userSignal?.removeEventListener('abort', this.#onUserAbort)
  }

  /** Throws the client error for the current state when the call was cancelled or timed out. */
  throwIfAborted(): void {
    if (this.#controller.signal.aborted) throw this.mapError(this.#controller.signal.reason)
  }

  /** Maps anything thrown while the call ran to `TimeoutError`, `AbortError`, `NetworkError` or itself. */
  mapError(err: unknown): unknown {
    if (err instanceof ApiError || err instanceof NetworkError) return err
    if (this.#timedOut) return new TimeoutError(this.method, this.url, this.timeoutMs)
    if (this.#userSignal?.aborted) return new AbortError(this.method, this.url, this.#userSignal.reason)
    if (err instanceof ClientError) return err
    // fetch() rejects with a TypeError for network failures, and a body read does when the connection
    // breaks. Before the request exists (a token function, the body's serialization) a TypeError is a bug.
    if (err instanceof TypeError && this.#described)
      return new NetworkError(this.method, this.url, { cause: err })
    return err
  }
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Exponential backoff with jitter: `base · 2^(attempt-1)`, capped, times a random factor in [0.5, 1). */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const raw = Math.min(policy.maxRetryDelayMs, policy.retryDelayMs * 2 ** (attempt - 1))
  return Math.round(raw * (0.5 + random() / 2))
}

type FetchLike = (input: Request) => Promise<Response>

/**
 * Sends `request` with `fetchImpl`, retrying idempotent requests on 429/503 (and GETs on network
 * errors) with exponential backoff and jitter, honouring `retry-after`, within the call's timeout.
 * The body is buffered once so that each attempt sends it again.
 */
export async function send(
  fetchImpl: FetchLike,
  request: Request,
  call: Call,
  policy: RetryPolicy,
): Promise<Response> {
  call.describe(request)
  const method = call.method
  const body = method === 'GET' || method === 'HEAD' ? undefined : await request.arrayBuffer()
  const canRetryStatus = idempotent.has(method)
  const canRetryNetwork = retriedOnNetworkError.has(method)
  const maxAttempts = 1 + Math.max(0, policy.retries)

  for (let attempt = 1; ; attempt++) {
    call.throwIfAborted()
    const init: RequestInit = {
      method,
      headers: request.headers,
      signal: call.signal,
      redirect: request.redirect,
    }
    if (body !== undefined && body.byteLength > 0) init.body = body
    let response: Response
    try {
      response = await untilAborted(fetchImpl(new Request(request.url, init)), call.signal)
    } catch (err) {
      const mapped = call.mapError(err)
      const networkError =
        mapped instanceof NetworkError ? mapped : new NetworkError(method, call.url, { cause: err })
      if (mapped instanceof ClientError && !(mapped instanceof NetworkError)) throw mapped
      if (!canRetryNetwork || attempt >= maxAttempts) throw networkError
      const delayMs = backoffDelay(attempt, policy)
      if (Date.now() + delayMs >= call.deadline) throw networkError
      policy.onRetry?.({ attempt, delayMs, method, url: call.url, reason: networkError })
      await waitOrThrow(delayMs, call)
      continue
    }
    if (!canRetryStatus || !retriedStatuses.has(response.status) || attempt >= maxAttempts) {
      return abortableBody(response, call.signal)
    }
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'))
    if (retryAfter !== undefined && retryAfter > policy.maxRetryDelayMs)
      return abortableBody(response, call.signal)
    const delayMs = retryAfter ?? backoffDelay(attempt, policy)
    if (Date.now() + delayMs >= call.deadline) return abortableBody(response, call.signal)
    await response.body?.cancel().catch(() => {})
    policy.onRetry?.({ attempt, delayMs, method, url: call.url, reason: response.status })
    await waitOrThrow(delayMs, call)
  }
}

/**
 * Rejects with the signal's reason as soon as it aborts, whatever `promise` does.
 *
 * Node's fetch (undici) links a `Request`'s signal to the caller's through a `WeakRef`: once the
 * intermediate `Request` objects are garbage-collected, aborting no longer reaches the request
 * (nodejs/node#55428, nodejs/undici#4627). The client does not depend on that link: it stops waiting
 * by itself, here and in {@link abortableBody}.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

const nullBodyStatuses = new Set([101, 103, 204, 205, 304])

/**
 * The response with a body that errors (and releases the connection) as soon as `signal` aborts,
 * including while it is being read or streamed: see {@link untilAborted} for why fetch's own signal
 * handling is not enough.
 */
export function abortableBody(response: Response, signal: AbortSignal): Response {
  const source = response.body
  if (source === null || nullBodyStatuses.has(response.status)) return response
  const reader = source.getReader()
  let onAbort: (() => void) | undefined
  const release = () => {
    if (onAbort) signal.removeEventListener('abort', onAbort)
    onAbort = undefined
  }
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      onAbort = () => {
        release()
        controller.error(signal.reason)
        reader.cancel(signal.reason).catch(() => {})
      }
      if (signal.aborted) onAbort()
      else signal.addEventListener('abort', onAbort, { once: true })
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read()
        if (done) {
          release()
          controller.close()
        } else controller.enqueue(value)
      } catch (err) {
        release()
        controller.error(err)
      }
    },
    cancel(reason) {
      release()
      return reader.cancel(reason)
    },
  })
  const wrapped = new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
  // `url` and `redirected` are not constructor options; error messages use the URL.
  Object.defineProperty(wrapped, 'url', { value: response.url })
  Object.defineProperty(wrapped, 'redirected', { value: response.redirected })
  return wrapped
}

async function waitOrThrow(ms: number, call: Call): Promise<void> {
  try {
    await sleep(ms, call.signal)
  } catch (err) {
    throw call.mapError(err)
  }
}
