import type { Server, Socket } from 'node:net'

/** No new connection for this long (and none still unread) ends the grace period once `graceMs` is over. */
const QUIET_MS = 100
const POLL_MS = 25
/** The grace period lasts at most this many times `graceMs` (and never more than the shutdown timeout). */
const MAX_GRACE_FACTOR = 5

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Watches the server's connections so that shutdown can tell when every client that connected has
 * been read. A connection that has not sent a request yet is "unread": closing the listener or the
 * connection then would reset a request the client may already have sent.
 */
export function watchConnections(server: Server) {
  const unread = new Map<Socket, number>()
  let lastConnectionAt = 0
  server.on('connection', (socket: Socket) => {
    lastConnectionAt = Date.now()
    unread.set(socket, lastConnectionAt)
    socket.once('close', () => unread.delete(socket))
  })
  server.on('request', (request: { socket: Socket }) => {
    unread.delete(request.socket)
  })

  return {
    /**
     * Waits `graceMs`, then as long as connections keep arriving or one younger than `graceMs` has not
     * been read (bounded by `MAX_GRACE_FACTOR × graceMs` and `maxMs`). Each check comes after a turn of
     * the event loop, so connections and data that arrived while the process was busy (a loaded
     * machine, a long synchronous task) are seen before the listener closes.
     */
    async grace(graceMs: number, maxMs: number): Promise<void> {
      const start = Date.now()
      const limit = Math.min(maxMs, graceMs * MAX_GRACE_FACTOR)
      await sleep(graceMs)
      while (Date.now() - start < limit) {
        await nextTurn()
        const now = Date.now()
        const waiting = [...unread.values()].some((connectedAt) => now - connectedAt < graceMs)
        if (!waiting && now - lastConnectionAt >= QUIET_MS) return
        await sleep(POLL_MS)
      }
    },
  }
}
