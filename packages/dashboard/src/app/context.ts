/** What every page gets: the session, its client, the live feed, and a way back to sign-in. */
import { type CompManagerClient, isApiError } from '@comp-manager/client'
import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import type { LiveFeed } from './live.js'
import type { Session } from './session.js'

export interface AppContext {
  session: Session
  client: CompManagerClient
  feed: LiveFeed
  /** Back to sign-in, with a message (an expired token). */
  signOut(message?: string): void
}

export const Ctx = createContext<AppContext | null>(null)

export function useApp(): AppContext {
  const ctx = useContext(Ctx)
  if (ctx === null) throw new Error('no app context')
  return ctx
}

/** A 401 anywhere means the token is no longer good: back to sign-in. Other errors are the page's. */
export function handleAuth(ctx: AppContext, error: unknown): unknown {
  if (isApiError(error) && error.status === 401) {
    ctx.signOut(`Your session has ended (${error.message}). Sign in again.`)
  }
  return error
}
