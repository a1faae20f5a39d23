/**
 * Pretty-printing of decoded codec values: BigInt, Date, Map, Set, typed arrays, RegExp, URL, Error,
 * mathjs fractions and matrices (recognised by shape: no mathjs import in the initial bundle), arrays
 * and objects. Large collections are collapsed.
 */
import type { ComponentChildren } from 'preact'

const COLLAPSE_AT = 12
const MAX_DEPTH = 12

type Typed = ArrayLike<number | bigint> & { constructor: { name: string } }

function isFraction(v: object): v is { s: number | bigint; n: number | bigint; d: number | bigint } {
  const f = v as Record<string, unknown>
  return (
    (v as { isFraction?: boolean }).isFraction === true ||
    (v.constructor?.name === 'Fraction' && 'n' in f && 'd' in f && 's' in f)
  )
}

function isMatrix(v: object): v is { toArray(): unknown[]; size(): number[] } {
  const m = v as { isMatrix?: boolean; toArray?: unknown; size?: unknown }
  return m.isMatrix === true && typeof m.toArray === 'function' && typeof m.size === 'function'
}

function fraction(f: { s: number | bigint; n: number | bigint; d: number | bigint }): string {
  const sign = Number(f.s) < 0 ? '-' : ''
  return String(f.d) === '1' ? `${sign}${f.n}` : `${sign}${f.n}/${f.d}`
}

function Collapsible(props: { label: string; size: number; children: ComponentChildren }) {
  if (props.size <= COLLAPSE_AT) {
    return (
      <span class="v-group">
        <span class="v-type">{props.label}</span> {props.children}
      </span>
    )
  }
  return (
    <details class="v-group">
      <summary>
        <span class="v-type">{props.label}</span> ({props.size} items)
      </summary>
      {props.children}
    </details>
  )
}

function Entries({ rows, depth }: { rows: [ComponentChildren, unknown][]; depth: number }) {
  return (
    <ul class="v-entries">
      {rows.map(([k, v], i) => (
        <li key={i}>
          <span class="v-key">{k}</span>: <Value value={v} depth={depth + 1} />
        </li>
      ))}
    </ul>
  )
}

function Grid({ rows }: { rows: unknown[] }) {
  return (
    <table class="v-matrix">
      <tbody>
        {rows.map((row, i) => (
          <tr key={i}>
            {(Array.isArray(row) ? row : [row]).map((cell, j) => (
              <td key={j}>
                <Value value={cell} depth={MAX_DEPTH - 1} />
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function objectValue(value: object, depth: number) {
  if (value instanceof Date)
    return <span class="v-date">Date {Number.isNaN(value.getTime()) ? 'Invalid' : value.toISOString()}</span>
  if (value instanceof RegExp || value instanceof URL) return <span class="v-other">{String(value)}</span>
  if (value instanceof Error)
    return (
      <span class="v-error">
        {value.name}: {value.message}
      </span>
    )
  if (isFraction(value)) return <span class="v-fraction">Fraction {fraction(value)}</span>
  if (isMatrix(value)) {
    return (
      <Collapsible label={`Matrix [${value.size().join('×')}]`} size={value.size()[0] ?? 0}>
        <Grid rows={value.toArray()} />
      </Collapsible>
    )
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const typed = value as unknown as Typed
    const items = Array.from({ length: Math.min(typed.length, 256) }, (_, i) => String(typed[i]))
    const more = typed.length > 256 ? ', …' : ''
    return (
      <Collapsible label={`${typed.constructor.name}(${typed.length})`} size={typed.length}>
        <span class="v-array">
          [{items.join(', ')}
          {more}]
        </span>
      </Collapsible>
    )
  }
  if (value instanceof Map) {
    const rows = [...value.entries()].map(
      ([k, v]) => [<Value value={k} depth={depth + 1} />, v] as [ComponentChildren, unknown],
    )
    return (
      <Collapsible label={`Map(${value.size})`} size={value.size}>
        <Entries rows={rows} depth={depth} />
      </Collapsible>
    )
  }
  if (value instanceof Set) {
    const rows = [...value].map((v, i) => [String(i), v] as [ComponentChildren, unknown])
    return (
      <Collapsible label={`Set(${value.size})`} size={value.size}>
        <Entries rows={rows} depth={depth} />
      </Collapsible>
    )
  }
  if (Array.isArray(value)) {
    const rows = value.map((v, i) => [String(i), v] as [ComponentChildren, unknown])
    return (
      <Collapsible label={`Array(${value.length})`} size={value.length}>
        <Entries rows={rows} depth={depth} />
      </Collapsible>
    )
  }
  const rows = Object.entries(value).map(([k, v]) => [k, v] as [ComponentChildren, unknown])
  return (
    <Collapsible label="Object" size={rows.length}>
      <Entries rows={rows} depth={depth} />
    </Collapsible>
  )
}

/** One decoded value, pretty-printed. */
export function Value({ value, depth = 0 }: { value: unknown; depth?: number }) {
  if (depth > MAX_DEPTH) return <span class="muted">…</span>
  switch (typeof value) {
    case 'bigint':
      return (
        <span class="v-bigint" data-bigint={String(value)}>
          {String(value)}n
        </span>
      )
    case 'string':
      return <span class="v-string">{JSON.stringify(value)}</span>
    case 'number':
      return <span class="v-number">{Object.is(value, -0) ? '-0' : String(value)}</span>
    case 'undefined':
      return <span class="v-other">undefined</span>
    case 'boolean':
      return <span class="v-other">{String(value)}</span>
    case 'object':
      return value === null ? <span class="v-other">null</span> : objectValue(value, depth)
    default:
      return <span class="v-other">{String(value)}</span>
  }
}
