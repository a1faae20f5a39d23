/** Sign-in: paste a token, or exchange an API key for one. */
import { useState } from 'preact/hooks'
import { describeToken, exchangeApiKey, type Session } from './session.js'
import { ErrorBox } from './ui.js'

export function SignIn(props: { message: string | null; onSignIn(session: Session): void }) {
  const [mode, setMode] = useState<'token' | 'key'>('token')
  const [secret, setSecret] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const token = mode === 'token' ? secret : await exchangeApiKey(secret)
      const info = describeToken(token)
      const namespace =
        info.namespaces.length === 1 && info.namespaces[0] !== '*' ? (info.namespaces[0] ?? null) : null
      props.onSignIn({ ...info, namespace })
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <main class="signin">
      <h1>comp-manager</h1>
      {props.message === null ? null : (
        <p class="notice" role="status" data-testid="signin-message">
          {props.message}
        </p>
      )}
      <form onSubmit={submit} autocomplete="off">
        <fieldset class="tabs">
          <legend>Sign in with</legend>
          <label>
            <input type="radio" name="mode" checked={mode === 'token'} onChange={() => setMode('token')} /> a
            token
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === 'key'} onChange={() => setMode('key')} /> an API
            key
          </label>
        </fieldset>
        <label for="secret">{mode === 'token' ? 'Bearer token (JWT)' : 'API key (cmk_…)'}</label>
        <textarea
          id="secret"
          name="secret"
          rows={4}
          spellcheck={false}
          required
          value={secret}
          onInput={(e) => setSecret((e.target as HTMLTextAreaElement).value)}
        />
        <p class="muted">
          Kept for this browser tab only (session storage), never in the address bar. The example server
          prints a development token at start.
        </p>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
      <ErrorBox error={error} />
    </main>
  )
}
