/**
 * The fleet's event stream (`client.events.subscribe`), kept open for the whole session: every event is
 * handed to the listeners of the pages; when the server is down the stream is reopened (after the last
 * event seen, so nothing is missed) with a growing delay, and `onState` tells the banner.
 */
import { type CompManagerClient, type FleetEvent, isApiError } from '@comp-manager/client'

export type Listener = (event: FleetEvent) => void
export type LinkState = 'connecting' | 'live' | 'down'

export interface LiveFeed {
  on(listener: Listener): () => void
  stop(): void
}

export function startLiveFeed(
  client: CompManagerClient,
  onState: (state: LinkState, error?: unknown) => void,
  onAuthError: (error: unknown) => void,
): LiveFeed {
  const listeners = new Set<Listener>()
  const controller = new AbortController()
  let after: number | undefined
  const run = async () => {
    let failures = 0
    while (!controller.signal.aborted) {
      onState(failures === 0 ? 'connecting' : 'down')
      try {
        // A health call first: the stream itself only answers once an event arrives.
        await client.health({ signal: controller.signal, retries: 0, timeoutMs: 5000 })
        onState('live')
        failures = 0
        const filter = after === undefined ? {} : { after }
        for await (const event of client.events.subscribe(filter, {
          signal: controller.signal,
          reconnects: 0,
        })) {
          after = event.sequence
          for (const listener of listeners) listener(event)
        }
      } catch (error) {
        if (controller.signal.aborted) return
        if (isApiError(error) && (error.status === 401 || error.status === 403)) {
          onAuthError(error)
          return
        }
        failures++
        onState('down', error)
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** Math.min(failures, 4), 5000)))
    }
  }
  void run()
  return {
    on(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    stop: () => controller.abort(),
  }
}
