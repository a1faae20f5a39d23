/**
 * One delivery attempt: a signed `POST` of the JSON body to the target, with a deadline for the
 * whole exchange (connect, headers, body). A 2xx answer is a success; anything else (another
 * status, a refused or forbidden address, a timeout, a reset) is a failure to retry.
 */
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { signedHeaders } from './signing.js'
import { checkTargetUrl, guardedLookup, type TargetPolicy } from './targets.js'

/** The most bytes of a receiver's answer kept in the delivery log. */
export const MAX_RESPONSE_EXCERPT = 512
/** The most bytes of a receiver's answer read at all (the rest is dropped). */
const MAX_RESPONSE_READ = 64 * 1024

export interface DeliveryRequest {
  url: string
  secret: string
  /** The `webhook-id` (the same on every attempt of one message). */
  messageId: string
  body: string
  timeoutMs: number
  policy: TargetPolicy
  userAgent: string
  /** Aborts the attempt (the server is closing). */
  signal?: AbortSignal
}

export interface DeliveryOutcome {
  ok: boolean
  /** The HTTP status, or `null` when there was no answer. */
  status: number | null
  durationMs: number
  /** Why it failed (`null` on success). */
  error: string | null
  /** The start of the answer's body. */
  response: string | null
}

export function deliver(req: DeliveryRequest): Promise<DeliveryOutcome> {
  const started = performance.now()
  const took = () => Math.round(performance.now() - started)
  const problem = checkTargetUrl(req.url, req.policy)
  if (problem !== null) {
    return Promise.resolve({
      ok: false,
      status: null,
      durationMs: 0,
      error: `target ${problem.message}`,
      response: null,
    })
  }
  const url = new URL(req.url)
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  const timestamp = Math.floor(Date.now() / 1000)
  return new Promise((resolve) => {
    let settled = false
    const finish = (outcome: Omit<DeliveryOutcome, 'durationMs'>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ ...outcome, durationMs: took() })
    }
    const outgoing = send(
      url,
      {
        method: 'POST',
        ...(req.signal === undefined ? {} : { signal: req.signal }),
        lookup: guardedLookup(req.policy) as never,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(req.body),
          'user-agent': req.userAgent,
          ...signedHeaders(req.secret, req.messageId, timestamp, req.body),
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_RESPONSE_READ) chunks.push(chunk)
          size += chunk.length
        })
        res.on('error', (err) =>
          finish({ ok: false, status: res.statusCode ?? null, error: err.message, response: null }),
        )
        res.on('end', () => {
          const status = res.statusCode ?? 0
          const ok = status >= 200 && status < 300
          const response = Buffer.concat(chunks).toString('utf8').slice(0, MAX_RESPONSE_EXCERPT)
          finish({ ok, status, error: ok ? null : `the receiver answered ${status}`, response })
        })
      },
    )
    const timer = setTimeout(() => {
      finish({ ok: false, status: null, error: `no answer within ${req.timeoutMs} ms`, response: null })
      outgoing.destroy()
    }, req.timeoutMs)
    outgoing.on('error', (err) => finish({ ok: false, status: null, error: err.message, response: null }))
    outgoing.end(req.body)
  })
}
