/**
 * Throughput (runs finished per minute) and failure rate (failed or lost out of the runs that ended),
 * accumulated while the page is open: the first sample is the server's last hour
 * (`GET /computations/stats`), the next ones count the `finished`/`failed`/`lost` events of the live
 * feed over the last minute (or since the page opened, when that is shorter).
 */
import { useEffect, useState } from 'preact/hooks'
import { Chart } from './chart.js'
import { handleAuth, useApp } from './context.js'
import { appendSample, EventTimes, emptySeries, percent, RATE_WINDOW_MS, SAMPLE_MS } from './series.js'
import { ErrorBox } from './ui.js'

const perMinute = (count: number, windowMs: number) => Math.round((count / (windowMs / 60_000)) * 10) / 10

function useQueueSeries() {
  const ctx = useApp()
  const [throughput, setThroughput] = useState(() => emptySeries(1))
  const [failures, setFailures] = useState(() => emptySeries(1))
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    const opened = Date.now()
    const finished = new EventTimes()
    const failed = new EventTimes()
    const off = ctx.feed.on((event) => {
      const at = Date.parse(event.at) || Date.now()
      if (event.type === 'finished') finished.add(at)
      else if (event.type === 'failed' || event.type === 'lost') failed.add(at)
    })
    const first = () =>
      ctx.client.computations
        .stats(ctx.session.namespace === null ? {} : { namespace: ctx.session.namespace })
        .then(
          (s) => {
            const ended = s.lastHour.finished + s.lastHour.failed + s.lastHour.lost
            const now = Date.now()
            setThroughput((d) => appendSample(d, now, [perMinute(s.lastHour.finished, 3_600_000)]))
            setFailures((d) => appendSample(d, now, [percent(s.lastHour.failed + s.lastHour.lost, ended)]))
            setError(null)
          },
          (err) => setError(handleAuth(ctx, err)),
        )
    const sample = () => {
      const now = Date.now()
      const window = Math.min(RATE_WINDOW_MS, Math.max(1000, now - opened))
      const ok = finished.countSince(now, window)
      const bad = failed.countSince(now, window)
      setThroughput((d) => appendSample(d, now, [perMinute(ok, window)]))
      setFailures((d) => appendSample(d, now, [percent(bad, ok + bad)]))
    }
    void first()
    const timer = setInterval(sample, SAMPLE_MS)
    return () => {
      off()
      clearInterval(timer)
    }
  }, [])
  return { throughput, failures, error }
}

export function QueueCharts() {
  const { throughput, failures, error } = useQueueSeries()
  return (
    <>
      <ErrorBox error={error} />
      <div class="charts">
        <Chart
          title="Throughput"
          testId="chart-throughput"
          data={throughput}
          options={{ labels: ['finished'], unit: '/min' }}
        />
        <Chart
          title="Failure rate"
          testId="chart-failures"
          data={failures}
          options={{ labels: ['failed or lost'], unit: '%', max: 100 }}
        />
      </div>
      <p class="muted small">
        First point: the server's last hour; then the live events of the last minute, sampled every{' '}
        {SAMPLE_MS / 1000} s while this page is open.
      </p>
    </>
  )
}
