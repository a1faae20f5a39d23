import type { FastifyInstance, FastifyReply } from 'fastify'
import { SMALL_BODY_LIMIT } from './config/index.js'

/**
 * Large request bodies are read, parsed and decoded **one at a time**. Their work is synchronous on the
 * one event loop (a MiB to copy, scan, parse and decode), so taking them in turn costs no throughput,
 * but without a turn N clients sending them at once make every other request (`/health`, a point read)
 * wait behind N of them. A waiting request's body is not read (TCP pushes back on its sender). A body
 * is large when its `content-length` is over {@link SMALL_BODY_LIMIT}, or it is chunked.
 */
export function gateLargeBodies(app: FastifyInstance): void {
  let busy = false
  const waiting: Array<(granted: boolean) => void> = []
  /** Hands the turn to the next waiting request, or frees it. */
  const pass = () => {
    const next = waiting.shift()
    if (next !== undefined) next(true)
    else busy = false
  }
  // Not an async hook: the common case (a small or no body) settles without a promise.
  app.addHook('preParsing', (request, reply, payload, done) => {
    const length = request.headers['content-length']
    const chunked = request.headers['transfer-encoding'] !== undefined
    if (length === undefined ? !chunked : Number(length) <= SMALL_BODY_LIMIT) {
      done(null, payload)
      return
    }
    awaitTurn(reply.raw).then(
      () => done(null, payload),
      (err: Error) => done(err),
    )
  })

  /** Waits for the turn of a large body; it is given back once the answer is sent or the client left. */
  async function awaitTurn(response: FastifyReply['raw']): Promise<void> {
    if (busy) {
      const granted = await new Promise<boolean>((resolve) => {
        waiting.push(resolve)
        // A client that goes away while waiting leaves the queue.
        response.once('close', () => {
          const at = waiting.indexOf(resolve)
          if (at !== -1) waiting.splice(at, 1)
          resolve(false)
        })
      })
      if (!granted) return
      if (response.destroyed || response.writableFinished) {
        pass()
        return
      }
    }
    busy = true
    // The turn is given back once the answer is sent, or the connection is gone.
    response.once('close', pass)
  }
}
