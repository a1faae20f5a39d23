/**
 * Time series accumulated in the page while it is open (nothing is stored): samples taken every
 * {@link SAMPLE_MS}, at most {@link MAX_POINTS} kept, in uPlot's shape (`[xs in seconds, ...ys]`).
 */

export const SAMPLE_MS = 5000
/** Half an hour at one sample every 5 s. */
export const MAX_POINTS = 360
/** The window the live rates are counted over. */
export const RATE_WINDOW_MS = 60_000

export type SeriesData = [number[], ...(number | null)[][]]

export function emptySeries(lines: number): SeriesData {
  return [[], ...Array.from({ length: lines }, () => [] as (number | null)[])]
}

/** A new series with the sample appended (at `atMs`), the oldest dropped past {@link MAX_POINTS}. */
export function appendSample(series: SeriesData, atMs: number, values: (number | null)[]): SeriesData {
  const keep = (a: readonly (number | null)[]) => a.slice(Math.max(0, a.length + 1 - MAX_POINTS))
  const [xs, ...ys] = series
  return [
    [...keep(xs), atMs / 1000] as number[],
    ...ys.map((y, i) => [...keep(y), values[i] ?? null]),
  ] as SeriesData
}

/** Times (ms) of the events of one kind seen by the page, the old ones forgotten. */
export class EventTimes {
  private times: number[] = []
  add(atMs: number): void {
    this.times.push(atMs)
  }
  /** How many happened in the `windowMs` before `nowMs` (and forgets the older ones). */
  countSince(nowMs: number, windowMs: number): number {
    const from = nowMs - windowMs
    while (this.times.length > 0 && (this.times[0] ?? 0) < from) this.times.shift()
    return this.times.length
  }
}

/** `part / whole` as a percentage, or null when nothing was counted. */
export function percent(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : null
}

/** The last non-null value of a line, for the text next to a chart. */
export function lastValue(line: readonly (number | null)[] | undefined): number | null {
  if (line === undefined) return null
  for (let i = line.length - 1; i >= 0; i--) {
    const v = line[i]
    if (v !== null && v !== undefined) return v
  }
  return null
}
