/**
 * The cache's hit rate over time, from `GET /cache/stats` polled while the page is open: the overall
 * rate the server reports, and the rate of each interval (its hits and misses since the last sample).
 */
import type { CacheStats } from '@comp-manager/client'
import { useEffect, useState } from 'preact/hooks'
import { Chart } from './chart.js'
import { handleAuth, useApp } from './context.js'
import { appendSample, emptySeries, percent, SAMPLE_MS } from './series.js'

function useHitRateSeries(onStats: (stats: CacheStats) => void) {
  const ctx = useApp()
  const [series, setSeries] = useState(() => emptySeries(2))
  useEffect(() => {
    let previous: CacheStats | null = null
    let live = true
    const sample = () =>
      ctx.client.cache.stats().then(
        (s) => {
          if (!live) return
          const overall = typeof s.hitRate === 'number' ? Math.round(s.hitRate * 1000) / 10 : null
          let interval: number | null = null
          if (previous !== null) {
            const hits = (s.hits ?? 0) - (previous.hits ?? 0)
            const misses = (s.misses ?? 0) - (previous.misses ?? 0)
            interval = hits >= 0 && misses >= 0 ? percent(hits, hits + misses) : null
          }
          previous = s
          setSeries((d) => appendSample(d, Date.now(), [overall, interval]))
          onStats(s)
        },
        (err) => handleAuth(ctx, err),
      )
    void sample()
    const timer = setInterval(sample, SAMPLE_MS)
    return () => {
      live = false
      clearInterval(timer)
    }
  }, [])
  return series
}

/** The chart; `onStats` gets each polled answer (the stats cards show the newest). */
export function HitRateChart({ onStats }: { onStats(stats: CacheStats): void }) {
  const series = useHitRateSeries(onStats)
  return (
    <div class="charts">
      <Chart
        title="Hit rate"
        testId="chart-hit-rate"
        data={series}
        options={{ labels: ['overall', 'last interval'], unit: '%', max: 100 }}
      />
    </div>
  )
}
