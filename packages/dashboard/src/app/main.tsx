/** The dashboard's shell: sign-in or the pages (hash routes), the header, the connection banner. */
import { render } from 'preact'
import { useEffect, useMemo, useState } from 'preact/hooks'
import { CachePage } from './cache.js'
import { type AppContext, Ctx } from './context.js'
import { ComputationPage, resetDecodingClient } from './detail.js'
import { ComputationsPage } from './list.js'
import { type LinkState, startLiveFeed } from './live.js'
import { clientFor, loadSession, type Session, saveSession } from './session.js'
import { SignIn } from './signin.js'
import { WorkersPage } from './workers.js'

function useHash(): string {
  const [hash, setHash] = useState(location.hash)
  useEffect(() => {
    const on = () => setHash(location.hash)
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return hash
}

function Page({ hash }: { hash: string }) {
  const detail = /^#\/computations\/(.+)$/.exec(hash)
  if (detail) return <ComputationPage id={decodeURIComponent(detail[1] ?? '')} />
  if (hash === '#/cache') return <CachePage />
  if (hash === '#/workers') return <WorkersPage />
  return <ComputationsPage />
}

function NamespaceSwitch({ session, onChange }: { session: Session; onChange(ns: string | null): void }) {
  const all = session.namespaces.includes('*')
  const [draft, setDraft] = useState(session.namespace ?? '')
  if (!all && session.namespaces.length <= 1)
    return <span class="muted">namespace {session.namespaces[0] ?? '—'}</span>
  if (!all) {
    return (
      <label>
        namespace{' '}
        <select
          name="namespace"
          value={session.namespace ?? ''}
          onChange={(e) => onChange((e.target as HTMLSelectElement).value || null)}
        >
          <option value="">all of mine</option>
          {session.namespaces.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
    )
  }
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        onChange(draft.trim() || null)
      }}
    >
      <label>
        namespace{' '}
        <input
          name="namespace"
          size={10}
          value={draft}
          placeholder="all"
          onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
        />
      </label>
    </form>
  )
}

function Shell({
  session,
  onSession,
  signOut,
}: {
  session: Session
  onSession(s: Session): void
  signOut(message?: string): void
}) {
  const hash = useHash()
  const [link, setLink] = useState<LinkState>('connecting')
  const client = useMemo(() => clientFor(session), [session])
  const feed = useMemo(
    () =>
      startLiveFeed(
        client,
        (state) => setLink(state),
        () => signOut('Your session has ended (the server refused the token). Sign in again.'),
      ),
    [client],
  )
  useEffect(() => () => feed.stop(), [feed])
  useEffect(() => {
    if (session.expiresAt === null) return
    const left = session.expiresAt - Date.now()
    const timer = setTimeout(
      () => signOut('Your token has expired. Sign in again.'),
      Math.max(0, Math.min(left, 2 ** 31 - 1)),
    )
    return () => clearTimeout(timer)
  }, [session])
  const ctx: AppContext = { session, client, feed, signOut }
  const nav = [
    ['#/computations', 'Computations'],
    ['#/workers', 'Queue and workers'],
    ['#/cache', 'Cache'],
  ] as const
  return (
    <Ctx.Provider value={ctx}>
      <header class="top">
        <a class="brand" href="#/computations">
          comp-manager
        </a>
        <nav aria-label="pages">
          {nav.map(([href, label]) => (
            <a
              key={href}
              href={href}
              aria-current={
                hash.startsWith(href) || (href === '#/computations' && hash === '') ? 'page' : undefined
              }
            >
              {label}
            </a>
          ))}
        </nav>
        <div class="who" data-testid="who">
          <span data-testid="role" class="badge">
            {session.role}
          </span>
          <span class="muted" data-testid="namespaces">
            {session.subject} · {session.namespaces.join(', ') || 'no namespace'}
          </span>
          <NamespaceSwitch session={session} onChange={(namespace) => onSession({ ...session, namespace })} />
          <button type="button" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      {link === 'down' ? (
        <div class="banner" role="alert" data-testid="offline-banner">
          The server cannot be reached. Live updates resume by themselves once it is back.
        </div>
      ) : null}
      <main data-link={link}>
        <Page hash={hash} />
      </main>
    </Ctx.Provider>
  )
}

function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession())
  const [message, setMessage] = useState<string | null>(null)
  const update = (next: Session | null) => {
    resetDecodingClient()
    saveSession(next)
    setSession(next)
  }
  if (session === null) {
    return (
      <SignIn
        message={message}
        onSignIn={(s) => {
          setMessage(null)
          update(s)
        }}
      />
    )
  }
  return (
    <Shell
      key={`${session.token}|${session.namespace ?? ''}`}
      session={session}
      onSession={update}
      signOut={(msg) => {
        setMessage(msg ?? null)
        update(null)
      }}
    />
  )
}

const root = document.getElementById('app')
if (root !== null) render(<App />, root)
