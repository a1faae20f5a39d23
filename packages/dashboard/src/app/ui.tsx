/** Small shared pieces: the error box (message + requestId), confirmations, progress bars, formats. */
import { isApiError } from '@comp-manager/client'
import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'

/** The text of an error: an API error's `message`, `code` and `requestId`, else its message. */
export function ErrorBox({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null
  if (isApiError(error)) {
    return (
      <div class="error" role="alert" data-testid="api-error">
        <strong>
          {error.status} {error.code}
        </strong>
        : <span class="error-message">{error.message}</span>
        <div class="muted">
          request id <code data-testid="request-id">{error.requestId ?? 'none'}</code>
        </div>
      </div>
    )
  }
  return (
    <div class="error" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </div>
  )
}

/** A button that asks for a confirmation before it acts. */
export function ConfirmButton(props: {
  label: string
  question: string
  onConfirm: () => Promise<void> | void
  danger?: boolean
}) {
  const [asking, setAsking] = useState(false)
  const [busy, setBusy] = useState(false)
  if (!asking) {
    return (
      <button
        type="button"
        class={props.danger ? 'danger' : ''}
        data-action={props.label.toLowerCase()}
        onClick={() => setAsking(true)}
      >
        {props.label}
      </button>
    )
  }
  return (
    <fieldset class="confirm" aria-label={props.question}>
      <span>{props.question}</span>
      <button
        type="button"
        class={props.danger ? 'danger' : 'primary'}
        disabled={busy}
        data-confirm={props.label.toLowerCase()}
        onClick={async () => {
          setBusy(true)
          try {
            await props.onConfirm()
          } finally {
            setBusy(false)
            setAsking(false)
          }
        }}
      >
        Yes, {props.label.toLowerCase()}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        No
      </button>
    </fieldset>
  )
}

export function Progress({
  fraction,
  note,
}: {
  fraction: number | null | undefined
  note?: string | null | undefined
}) {
  const value = typeof fraction === 'number' ? Math.max(0, Math.min(1, fraction)) : null
  return (
    <span class="progress-cell">
      <progress max={1} value={value ?? undefined} data-fraction={value ?? ''} aria-label="progress">
        {value === null ? '' : `${Math.round(value * 100)}%`}
      </progress>
      <span class="muted">
        {value === null ? '' : `${Math.round(value * 100)}%`}
        {note ? ` ${note}` : ''}
      </span>
    </span>
  )
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge status-${status}`} data-status={status}>
      {status}
    </span>
  )
}

/** `1h 2m 3s`, `450 ms`. */
export function duration(ms: number | null | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = Math.floor(ms / 1000)
  const parts = [
    Math.floor(s / 3600) && `${Math.floor(s / 3600)}h`,
    Math.floor((s % 3600) / 60) && `${Math.floor((s % 3600) / 60)}m`,
    `${s % 60}s`,
  ]
  return parts.filter(Boolean).join(' ')
}

export function bytes(n: number | null | undefined): string {
  if (typeof n !== 'number') return '—'
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

export function when(iso: string | null | undefined): string {
  if (typeof iso !== 'string') return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString()
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>
}
