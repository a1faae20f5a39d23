/** The computations list: REST filters, sort, cursor paging, live rows and counts per status. */
import type { ComputationFilters, ComputationSummary, FleetEvent } from '@comp-manager/client'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { handleAuth, useApp } from './context.js'
import { duration, Empty, ErrorBox, Progress, StatusBadge, when } from './ui.js'

/** How often a page with running rows is read again (progress events are coalesced). */
export const RECONCILE_MS = 3000

export const STATUSES = ['queued', 'started', 'paused', 'finished', 'failed', 'lost'] as const
/** The counts per status are read again this often too (an event missed while offline is caught up). */
export const COUNTS_REFRESH_MS = 10_000
/** Live events are grouped for this long before the page or the counts are read again. */
const SETTLE_MS = 400
type Sort = NonNullable<ComputationFilters['sort']>

interface Filters {
  status: string
  function: string
  since: string
  until: string
  text: string
  sort: Sort
  perPage: number
}

const initialFilters: Filters = {
  status: '',
  function: '',
  since: '',
  until: '',
  text: '',
  sort: '-createdAt',
  perPage: 20,
}

function queryOf(f: Filters, cursor: string | null): ComputationFilters {
  const iso = (local: string) => new Date(local).toISOString()
  return {
    per_page: f.perPage,
    sort: f.sort,
    ...(f.status === '' ? {} : { status: f.status }),
    ...(f.function.trim() === '' ? {} : { function: f.function.trim() }),
    ...(f.since === '' ? {} : { since: iso(f.since) }),
    ...(f.until === '' ? {} : { until: iso(f.until) }),
    ...(cursor === null ? {} : { cursor }),
  }
}

/** Applies a fleet event to a row it is about. */
function applyEvent(row: ComputationSummary, event: FleetEvent): ComputationSummary {
  const next = { ...row }
  if (event.status !== null) next.status = event.status
  const progress = event.data.progress as ComputationSummary['progress'] | undefined
  if (progress !== undefined && progress !== null) next.progress = progress
  if (event.type === 'finished')
    next.progress = { ...(next.progress ?? {}), fraction: 1 } as ComputationSummary['progress']
  next.updatedAt = event.at
  return next
}

function useCounts(version: number) {
  const ctx = useApp()
  const [counts, setCounts] = useState<Record<string, number | null>>({})
  const [tick, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), COUNTS_REFRESH_MS)
    return () => clearInterval(timer)
  }, [])
  useEffect(() => {
    let live = true
    void Promise.all(
      STATUSES.map((status) =>
        ctx.client.computations
          .list({ status, per_page: 1 })
          .then((page) => [status, page.total] as const)
          .catch((err) => {
            handleAuth(ctx, err)
            return [status, undefined] as const
          }),
      ),
    ).then((pairs) => {
      if (!live) return
      // A count that could not be read keeps its last value (or stays unknown).
      setCounts((old) =>
        Object.fromEntries(pairs.map(([s, n]) => [s, n === undefined ? (old[s] ?? null) : n])),
      )
    })
    return () => {
      live = false
    }
  }, [version, tick])
  return counts
}

/** Runs the last function handed to it once things settled: `SETTLE_MS` after the first call. */
function settler() {
  let timer: ReturnType<typeof setTimeout> | undefined
  return {
    later(fn: () => void) {
      if (timer !== undefined) return
      timer = setTimeout(() => {
        timer = undefined
        fn()
      }, SETTLE_MS)
    },
    cancel: () => clearTimeout(timer),
  }
}

function FilterBar({ filters, onChange }: { filters: Filters; onChange(f: Filters): void }) {
  const [draft, setDraft] = useState(filters)
  const set = (key: keyof Filters) => (e: Event) =>
    setDraft({
      ...draft,
      [key]:
        key === 'perPage'
          ? Number((e.target as HTMLInputElement).value)
          : (e.target as HTMLInputElement).value,
    })
  return (
    <form
      class="filters"
      onSubmit={(e) => {
        e.preventDefault()
        onChange(draft)
      }}
    >
      <label>
        Status
        <select name="status" value={draft.status} onChange={set('status')}>
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Function{' '}
        <input
          name="function"
          value={draft.function}
          onInput={set('function')}
          placeholder="demo.factorize"
        />
      </label>
      <label>
        Since <input type="datetime-local" name="since" value={draft.since} onInput={set('since')} />
      </label>
      <label>
        Until <input type="datetime-local" name="until" value={draft.until} onInput={set('until')} />
      </label>
      <label>
        Text{' '}
        <input name="text" value={draft.text} onInput={set('text')} placeholder="id, message… (this page)" />
      </label>
      <label>
        Sort
        <select name="sort" value={draft.sort} onChange={set('sort')}>
          <option value="-createdAt">newest first</option>
          <option value="createdAt">oldest first</option>
          <option value="-updatedAt">recently updated</option>
          <option value="updatedAt">least recently updated</option>
        </select>
      </label>
      <label>
        Rows
        <select name="perPage" value={String(draft.perPage)} onChange={set('perPage')}>
          {[20, 50, 100].map((n) => (
            <option key={n} value={String(n)}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="primary">
        Apply
      </button>
    </form>
  )
}

function Row({ row }: { row: ComputationSummary }) {
  return (
    <tr data-id={row.id} data-status={row.status}>
      <td>
        <a href={`#/computations/${encodeURIComponent(row.id)}`}>{row.function}</a>
        <div class="muted mono small">{row.id}</div>
      </td>
      <td>
        <StatusBadge status={row.status} />
      </td>
      <td>
        <Progress fraction={row.progress?.fraction} note={row.progress?.note} />
      </td>
      <td class="hide-narrow">{when(row.createdAt)}</td>
      <td class="hide-narrow">{duration(row.runningTimeMs)}</td>
      <td class="hide-narrow">{row.namespace}</td>
    </tr>
  )
}

type PageState = { rows: ComputationSummary[]; next: string | null; total: number } | null
type Bump = (update: (n: number) => number) => void

/** Applies the fleet's events to the rows shown; new runs (first page) and status changes reload. */
function useLiveRows(
  rowsRef: { current: ComputationSummary[] },
  setPage: (update: (p: PageState) => PageState) => void,
  firstPage: boolean,
  setReload: Bump,
  setCountsVersion: Bump,
) {
  const ctx = useApp()
  useEffect(() => {
    // One settler each: a pending reload must not swallow a counts refresh (or the other way round).
    const reload = settler()
    const recount = settler()
    const off = ctx.feed.on((event) => {
      if (event.computationId === null) return
      const index = rowsRef.current.findIndex((r) => r.id === event.computationId)
      if (index >= 0) {
        const rows = rowsRef.current.slice()
        rows[index] = applyEvent(rows[index] as ComputationSummary, event)
        rowsRef.current = rows
        setPage((p) => (p === null ? p : { ...p, rows }))
      } else if (event.type === 'queued' && firstPage) {
        reload.later(() => setReload((n) => n + 1))
      }
      if (event.type !== 'progress') recount.later(() => setCountsVersion((n) => n + 1))
    })
    return () => {
      off()
      reload.cancel()
      recount.cancel()
    }
  }, [firstPage])
}

function RowsTable({ rows }: { rows: ComputationSummary[] }) {
  return (
    <table class="list" data-testid="computations">
      <thead>
        <tr>
          <th>Function</th>
          <th>Status</th>
          <th>Progress</th>
          <th class="hide-narrow">Created</th>
          <th class="hide-narrow">Running time</th>
          <th class="hide-narrow">Namespace</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <Row key={row.id} row={row} />
        ))}
      </tbody>
    </table>
  )
}

function Counts({ counts, onPick }: { counts: Record<string, number | null>; onPick(status: string): void }) {
  return (
    <ul class="counts" aria-label="counts per status">
      {STATUSES.map((s) => (
        <li key={s} data-count={s}>
          <button type="button" class="link" onClick={() => onPick(s)}>
            <StatusBadge status={s} /> <span class="count">{counts[s] ?? '…'}</span>
          </button>
        </li>
      ))}
    </ul>
  )
}

function Pager(props: { first: boolean; page: PageState; onBack(): void; onNext(next: string): void }) {
  const { page } = props
  return (
    <nav class="pager" aria-label="pages">
      <button type="button" disabled={props.first} onClick={props.onBack}>
        ← Previous
      </button>
      <span class="muted">{page === null ? '' : `${page.total} in all`}</span>
      <button
        type="button"
        disabled={page?.next == null}
        onClick={() => page?.next && props.onNext(page.next)}
      >
        Next →
      </button>
    </nav>
  )
}

export function ComputationsPage() {
  const ctx = useApp()
  const [filters, setFilters] = useState(initialFilters)
  const [cursors, setCursors] = useState<(string | null)[]>([null])
  const [page, setPage] = useState<PageState>(null)
  const [error, setError] = useState<unknown>(null)
  const [reload, setReload] = useState(0)
  const [countsVersion, setCountsVersion] = useState(0)
  const counts = useCounts(countsVersion)
  const cursor = cursors[cursors.length - 1] ?? null
  const rowsRef = useRef<ComputationSummary[]>([])

  useEffect(() => {
    let live = true
    ctx.client.computations.list(queryOf(filters, cursor)).then(
      (p) => {
        if (!live) return
        rowsRef.current = p.data
        setPage({ rows: p.data, next: p.next_cursor ?? null, total: p.total })
        setError(null)
      },
      (err) => live && setError(handleAuth(ctx, err)),
    )
    return () => {
      live = false
    }
  }, [filters, cursor, reload])

  useLiveRows(rowsRef, setPage, cursors.length === 1, setReload, setCountsVersion)

  // Progress events are coalesced (one a second per run): pages with running rows are read again.
  const running = page?.rows.some((r) => r.status === 'started') ?? false
  useEffect(() => {
    if (!running) return
    const timer = setInterval(() => setReload((n) => n + 1), RECONCILE_MS)
    return () => clearInterval(timer)
  }, [running])

  const shown = useMemo(() => {
    const text = filters.text.trim().toLowerCase()
    if (page === null || text === '') return page?.rows ?? []
    return page.rows.filter((r) =>
      [r.id, r.function, r.message ?? '', r.name ?? ''].some((v) => String(v).toLowerCase().includes(text)),
    )
  }, [page, filters.text])

  return (
    <section>
      <h1>Computations</h1>
      <Counts
        counts={counts}
        onPick={(status) => {
          setFilters({ ...filters, status })
          setCursors([null])
        }}
      />
      <FilterBar
        filters={filters}
        onChange={(f) => {
          setFilters(f)
          setCursors([null])
        }}
      />
      <ErrorBox error={error} />
      {page !== null && shown.length === 0 ? (
        <Empty>
          No computation matches these filters. Submit a job (POST /api/v1/demo/jobs) or clear the filters.
        </Empty>
      ) : (
        <RowsTable rows={shown} />
      )}
      <Pager
        first={cursors.length === 1}
        page={page}
        onBack={() => setCursors(cursors.slice(0, -1))}
        onNext={(next) => setCursors([...cursors, next])}
      />
    </section>
  )
}
