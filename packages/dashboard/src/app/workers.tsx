/** Queue and workers: queue depth by function, running jobs, the fleet. Refreshed on fleet events. */
import type { ComputationSummary, WorkerInfo } from '@comp-manager/client'
import { useEffect, useState } from 'preact/hooks'
import { handleAuth, useApp } from './context.js'
import { QueueCharts } from './queue-charts.js'
import { Empty, ErrorBox, when } from './ui.js'

function byFunction(rows: ComputationSummary[]): [string, number][] {
  const counts = new Map<string, number>()
  for (const r of rows) counts.set(r.function, (counts.get(r.function) ?? 0) + 1)
  return [...counts.entries()].sort((a, b) => b[1] - a[1])
}

function useFleet() {
  const ctx = useApp()
  const [workers, setWorkers] = useState<WorkerInfo[] | null>(null)
  const [queued, setQueued] = useState<{ rows: ComputationSummary[]; total: number } | null>(null)
  const [running, setRunning] = useState<{ rows: ComputationSummary[]; total: number } | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [version, setVersion] = useState(0)
  useEffect(() => {
    const fail = (err: unknown) => setError(handleAuth(ctx, err))
    ctx.client.workers.list({ per_page: 100 }).then((p) => setWorkers(p.data), fail)
    ctx.client.computations
      .list({ status: 'queued', per_page: 100 })
      .then((p) => setQueued({ rows: p.data, total: p.total }), fail)
    ctx.client.computations
      .list({ status: 'started', per_page: 100 })
      .then((p) => setRunning({ rows: p.data, total: p.total }), fail)
  }, [version])
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const off = ctx.feed.on((event) => {
      if (event.type === 'progress' || timer !== undefined) return
      timer = setTimeout(() => {
        timer = undefined
        setVersion((n) => n + 1)
      }, 500)
    })
    return () => {
      off()
      if (timer !== undefined) clearTimeout(timer)
    }
  }, [])
  return { workers, queued, running, error }
}

export function WorkersPage() {
  const { workers, queued, running, error } = useFleet()
  return (
    <section>
      <h1>Queue and workers</h1>
      <ErrorBox error={error} />
      <div class="cards">
        <div class="card" data-testid="queue-depth">
          <h2>Queued</h2>
          <p class="big">{queued?.total ?? '…'}</p>
          <ul>
            {byFunction(queued?.rows ?? []).map(([f, n]) => (
              <li key={f}>
                {f}: {n}
              </li>
            ))}
          </ul>
        </div>
        <div class="card">
          <h2>Running</h2>
          <p class="big">{running?.total ?? '…'}</p>
          <ul>
            {(running?.rows ?? []).slice(0, 10).map((r) => (
              <li key={r.id}>
                <a href={`#/computations/${encodeURIComponent(r.id)}`}>{r.function}</a> {r.host ?? ''}
              </li>
            ))}
          </ul>
        </div>
      </div>
      <QueueCharts />
      <h2>Fleet</h2>
      {workers !== null && workers.length === 0 ? (
        <Empty>No worker is running. Start one (createWorker() or an HTTP worker) and it appears here.</Empty>
      ) : (
        <table class="list" data-testid="workers">
          <thead>
            <tr>
              <th>Host</th>
              <th>PID</th>
              <th>Functions</th>
              <th>Running / concurrency</th>
              <th class="hide-narrow">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {(workers ?? []).map((w) => (
              <tr key={w.id}>
                <td>{w.host}</td>
                <td>{w.pid}</td>
                <td>{w.functions.join(', ')}</td>
                <td>
                  {w.running} / {w.concurrency}
                </td>
                <td class="hide-narrow">{when(w.lastSeenAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
