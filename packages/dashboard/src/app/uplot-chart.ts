/**
 * The chart drawing, with uPlot (a lazy chunk: loaded by the first chart shown, outside the initial
 * bundle). Colours come from the page's CSS variables, so the charts follow the light and dark themes.
 */
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import type { SeriesData } from './series.js'

export interface ChartOptions {
  labels: string[]
  /** Shown after the y values (`%`, `/min`). */
  unit: string
  /** A fixed top of the y axis (100 for percentages); else it follows the data (at least 1). */
  max?: number
  height?: number
}

export interface ChartHandle {
  setData(data: SeriesData): void
  destroy(): void
}

const PALETTE = ['--accent', '--danger', '--ok', '--warn']

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback
}

export function mountChart(el: HTMLElement, options: ChartOptions, data: SeriesData): ChartHandle {
  const fg = cssVar('--muted', '#5b636e')
  const grid = cssVar('--line', '#d6dbe1')
  const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } }
  const width = () => Math.max(200, Math.floor(el.clientWidth))
  const { max } = options
  const plot = new uPlot(
    {
      width: width(),
      height: options.height ?? 160,
      series: [
        {},
        ...options.labels.map((label, i) => ({
          label,
          stroke: cssVar(PALETTE[i % PALETTE.length] ?? '--accent', '#1f6feb'),
          width: 2,
          points: { show: true, size: 4 },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : `${v}${options.unit}`),
        })),
      ],
      scales: {
        y: { range: (_u, _min, top) => [0, max ?? Math.max(1, Math.ceil(top * 1.1))] },
      },
      axes: [axis, { ...axis, size: 56, values: (_u, ticks) => ticks.map((v) => `${v}${options.unit}`) }],
      legend: { show: true, live: false },
    },
    data as uPlot.AlignedData,
    el,
  )
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: plot.height }))
  resize.observe(el)
  el.dataset.drawn = 'true'
  return {
    setData: (next) => plot.setData(next as uPlot.AlignedData),
    destroy() {
      resize.disconnect()
      plot.destroy()
      delete el.dataset.drawn
    },
  }
}
