/**
 * The attempts history of a computation: every run of the same call (the records sharing its `hash` in
 * its namespace, through the list's `hash` filter), newest first, each linked, with its status, start
 * and end, running time and error message. Read again when the record changes (a retry adds a row).
 */
import type { Computation, ComputationSummary } from '@comp-manager/client'
import { useEffect, useState } from 'preact/hooks'
import { handleAuth, useApp } from './context.js'
import { duration, ErrorBox, StatusBadge, when } from './ui.js'

/** The most attempts listed (one page of the API); more are counted, not shown. */
const MAX_ROWS = 100

function useAttempts(c: Computation) {
  const ctx = useApp()
  const [rows, setRows] = useState<{ data: ComputationSummary[]; total: number } | null>(null)
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    let live = true
    ctx.client.computations
      .list({ hash: c.hash, namespace: c.namespace, sort: '-createdAt', per_page: MAX_ROWS })
      .then(
        (page) => {
          if (!live) return
          setRows({ data: page.data, total: page.total })
          setError(null)
        },
        (err) => live && setError(handleAuth(ctx, err)),
      )
    return () => {
      live = false
    }
  }, [c.id, c.hash, c.namespace, c.status, c.updatedAt])
  return { rows, error }
}

function AttemptRow({ row, current }: { row: ComputationSummary; current: boolean }) {
  return (
    <tr data-attempt={row.attempt} data-id={row.id} data-status={row.status} class={current ? 'current' : ''}>
      <td>
        <a href={`#/computations/${encodeURIComponent(row.id)}`} aria-current={current ? 'page' : undefined}>
          #{row.attempt}
        </a>
      </td>
      <td>
        <StatusBadge status={row.status} />
      </td>
      <td class="hide-narrow">{when(row.startedAt)}</td>
      <td class="hide-narrow">{when(row.finishedAt)}</td>
      <td>{duration(row.runningTimeMs)}</td>
      <td class="attempt-error">{row.error ? `${row.error.name}: ${row.error.message}` : '—'}</td>
    </tr>
  )
}

export function Attempts({ c }: { c: Computation }) {
  const { rows, error } = useAttempts(c)
  return (
    <div class="attempts" data-testid="attempts">
      <h2>Attempts</h2>
      <p class="muted">
        This is attempt <strong data-testid="attempt-of">{c.attempt}</strong> of{' '}
        {c.maxAttempts === 1 ? '1 allowed' : `${c.maxAttempts} allowed per submission`}
        {rows !== null && rows.total > rows.data.length
          ? ` · the newest ${rows.data.length} of ${rows.total} shown`
          : ''}
      </p>
      <ErrorBox error={error} />
      {rows === null ? (
        error === null ? (
          <p class="muted">Loading attempts…</p>
        ) : null
      ) : (
        <table class="list" data-testid="attempts-table">
          <thead>
            <tr>
              <th>Attempt</th>
              <th>Status</th>
              <th class="hide-narrow">Started</th>
              <th class="hide-narrow">Ended</th>
              <th>Running time</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            {rows.data.map((row) => (
              <AttemptRow key={row.id} row={row} current={row.id === c.id} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
