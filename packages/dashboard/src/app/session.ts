/**
 * The signed-in session: the token (memory + sessionStorage, never localStorage, never in a URL), what
 * it says about the caller (role, namespaces: read from the JWT's payload for display only; the server
 * decides), the chosen namespace, and the clients built over it.
 */
import { type CompManagerClient, createClient } from '@comp-manager/client'

export type Role = 'viewer' | 'operator' | 'admin' | 'worker'

export interface Session {
  token: string
  role: Role | 'unknown'
  namespaces: string[]
  subject: string
  expiresAt: number | null
  namespace: string | null
}

const KEY = 'cm.dashboard.session'
const RANK: Record<string, number> = { viewer: 1, worker: 1, operator: 2, admin: 3 }

/** The API root as the page was told by the plugin (a `<meta>`: no inline script under the CSP). */
export function apiBase(): string {
  const meta = document.querySelector('meta[name="cm-api-base"]')?.getAttribute('content') ?? ''
  return meta === '__API_BASE__' ? '' : meta
}

function base64UrlJson(part: string): Record<string, unknown> {
  const b64 = part
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(part.length / 4) * 4, '=')
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
  const value: unknown = JSON.parse(new TextDecoder().decode(bytes))
  if (typeof value !== 'object' || value === null) throw new Error('not an object')
  return value as Record<string, unknown>
}

/** What a token says about its holder, or an error message when it is not a JWT. */
export function describeToken(token: string): Omit<Session, 'namespace'> {
  const parts = token.trim().split('.')
  if (parts.length !== 3) throw new Error('This is not a JWT (three dot-separated parts).')
  let payload: Record<string, unknown>
  try {
    payload = base64UrlJson(parts[1] ?? '')
  } catch {
    throw new Error('This token cannot be read: its payload is not base64url JSON.')
  }
  const role = typeof payload.role === 'string' && payload.role in RANK ? (payload.role as Role) : 'unknown'
  const namespaces = Array.isArray(payload.namespaces)
    ? payload.namespaces.filter((n) => typeof n === 'string')
    : []
  const exp = typeof payload.exp === 'number' ? payload.exp * 1000 : null
  if (exp !== null && exp <= Date.now()) throw new Error('This token has expired: get a new one.')
  return { token: token.trim(), role, namespaces, subject: String(payload.sub ?? ''), expiresAt: exp }
}

/** Whether the session's role is at least `role`. */
export function can(session: Session | null, role: 'operator' | 'admin'): boolean {
  return session !== null && (RANK[session.role] ?? 0) >= (RANK[role] ?? 9)
}

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY)
    if (raw === null) return null
    const saved = JSON.parse(raw) as { token: string; namespace: string | null }
    return { ...describeToken(saved.token), namespace: saved.namespace }
  } catch {
    sessionStorage.removeItem(KEY)
    return null
  }
}

export function saveSession(session: Session | null): void {
  if (session === null) sessionStorage.removeItem(KEY)
  else sessionStorage.setItem(KEY, JSON.stringify({ token: session.token, namespace: session.namespace }))
}

/** A client over the session's token and namespace. */
export function clientFor(session: Session): CompManagerClient {
  const ns = session.namespace
  return createClient({
    baseUrl: apiBase() || location.origin,
    token: () => session.token,
    retries: 1,
    ...(ns === null ? {} : { namespace: ns }),
  })
}

/** Exchanges an API key for a token (the key is used for this one call and kept nowhere). */
export async function exchangeApiKey(apiKey: string): Promise<string> {
  const client = createClient({ baseUrl: apiBase() || location.origin, apiKey: apiKey.trim(), retries: 0 })
  const issued = await client.auth.token()
  return issued.token
}
