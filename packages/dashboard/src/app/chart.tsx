/** A time-series chart: the drawing code (uPlot) is loaded on first use, the latest value said in text. */
import { useEffect, useRef, useState } from 'preact/hooks'
import { lastValue, type SeriesData } from './series.js'
import { ErrorBox } from './ui.js'
import type { ChartHandle, ChartOptions } from './uplot-chart.js'

let drawing: Promise<typeof import('./uplot-chart.js')> | null = null
const loadDrawing = () => {
  drawing ??= import('./uplot-chart.js')
  return drawing
}

export function Chart({
  title,
  testId,
  data,
  options,
}: {
  title: string
  testId: string
  data: SeriesData
  options: ChartOptions
}) {
  const el = useRef<HTMLDivElement>(null)
  const handle = useRef<ChartHandle | null>(null)
  const latest = useRef(data)
  latest.current = data
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    let live = true
    loadDrawing().then(
      (m) => {
        if (live && el.current !== null) handle.current = m.mountChart(el.current, options, latest.current)
      },
      (err) => live && setError(err),
    )
    return () => {
      live = false
      handle.current?.destroy()
      handle.current = null
    }
  }, [])
  useEffect(() => handle.current?.setData(data), [data])
  const points = data[0].length
  const now = options.labels
    .map((label, i) => {
      const v = lastValue(data[i + 1])
      return `${label} ${v === null ? '—' : `${v}${options.unit}`}`
    })
    .join(' · ')
  return (
    <figure class="chart" data-testid={testId} data-points={points}>
      <h2>{title}</h2>
      <ErrorBox error={error} />
      <div class="chart-canvas" ref={el} role="img" aria-label={`${title}: ${now}`} />
      <figcaption class="muted small">
        {points === 0
          ? 'Waiting for the first sample…'
          : `now: ${now} · ${points} samples since this page opened`}
      </figcaption>
    </figure>
  )
}
