/** Where the CLI writes, and whether it may use colours and redraw lines. */
export interface Io {
  stdout: Writable
  stderr: Writable
  /** stdout is a terminal: tables get colours (unless NO_COLOR) and `watch` a live progress bar. */
  isTty: boolean
  color: boolean
}

export interface Writable {
  write(chunk: string): unknown
}

/**
 * Colours follow https://no-color.org: any non-empty `NO_COLOR` turns them off; `FORCE_COLOR` (not
 * `0`) turns them on even without a terminal; otherwise they are on when stdout is a TTY.
 */
export function wantsColor(env: Record<string, string | undefined>, isTty: boolean, flag?: boolean): boolean {
  if (flag === false) return false
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true
  return isTty
}

const codes = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
} as const
export type Style = keyof typeof codes

export type Painter = (style: Style | undefined, text: string) => string

export function painter(enabled: boolean): Painter {
  return (style, text) => {
    if (!enabled || style === undefined || text === '') return text
    const [open, close] = codes[style]
    return `\u001b[${open}m${text}\u001b[${close}m`
  }
}

// Matches the SGR sequences `painter` writes, to measure visible width.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are control characters
const ansi = /\u001b\[[0-9;]*m/g
export const visibleLength = (text: string): number => [...text.replace(ansi, '')].length

/** The colour of each computation status in tables. */
export const statusStyle: Record<string, Style> = {
  queued: 'gray',
  started: 'cyan',
  paused: 'yellow',
  finished: 'green',
  failed: 'red',
  lost: 'magenta',
}

export interface Column<T> {
  header: string
  value: (row: T) => string
  style?: (row: T) => Style | undefined
  align?: 'left' | 'right'
  /** Longest cell, in characters; longer ones end with `…`. */
  max?: number
}

function truncate(text: string, max: number | undefined): string {
  if (max === undefined) return text
  const chars = [...text]
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`
}

/** An aligned table: a bold header row, then one row per item, columns separated by two spaces. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], paint: Painter): string {
  const cells = rows.map((row) =>
    columns.map((c) => {
      const text = truncate(c.value(row).replace(/\s+/g, ' '), c.max)
      return { text, style: c.style?.(row) }
    }),
  )
  const widths = columns.map((c, i) =>
    Math.max(visibleLength(c.header), ...cells.map((r) => visibleLength(r[i]!.text))),
  )
  // Styles wrap the text only, so the padding (and what trimEnd removes) stays outside the escapes.
  const pad = (text: string, style: Style | undefined, i: number, align: 'left' | 'right' | undefined) => {
    const fill = ' '.repeat(widths[i]! - visibleLength(text))
    const styled = paint(style, text)
    return align === 'right' ? fill + styled : styled + fill
  }
  const line = (parts: string[]) => parts.join('  ').trimEnd()
  const out = [line(columns.map((c, i) => pad(c.header, 'bold', i, c.align)))]
  for (const row of cells) {
    out.push(line(row.map((cell, i) => pad(cell.text, cell.style, i, columns[i]!.align))))
  }
  return `${out.join('\n')}\n`
}

/** `key  value` lines, keys aligned: the detail view of one record. */
export function keyValues(entries: ReadonlyArray<[string, string]>, paint: Painter): string {
  const width = Math.max(0, ...entries.map(([k]) => k.length))
  return `${entries.map(([k, v]) => `${paint('bold', k.padEnd(width))}  ${v}`).join('\n')}\n`
}

/** An ISO date-time (UTC, to the second) from an ISO string or epoch ms; `-` for null. */
export function formatTime(time: string | number | null | undefined): string {
  if (time === null || time === undefined) return '-'
  const date = new Date(time)
  if (Number.isNaN(date.getTime())) return String(time)
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** `850ms`, `12.3s`, `4m05s`, `2h03m`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-'
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const s = Math.floor(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** `512 B`, `1.5 KiB`, `3.2 MiB`. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-'
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = n / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}

/** `45%` from a 0..1 fraction; `-` when unknown. */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return '-'
  return `${Math.round(fraction * 100)}%`
}

/** `[██████░░░░░░]` of `width` cells. */
export function progressBar(fraction: number, width = 30): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0))
  const full = Math.round(f * width)
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}]`
}

/** JSON for `--json`: BigInt as a decimal string, Map as an object or pairs, Set as an array, Date as ISO. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString()
      if (v instanceof Map) return Object.fromEntries(v)
      if (v instanceof Set) return [...v]
      return v
    },
    2,
  )
}
