// Hashing a call `{ fn, args }`: @comp-manager/core's hashKey against three named baselines, measured side by
// side in the same run (issue 2 §5). Run: `pnpm bench` (all benches) or `node --import tsx hash.bench.ts`.
import * as crypto from 'node:crypto'
import { canonicalCall, hashKey } from '@comp-manager/core'
// @ts-expect-error object-hash ships no types
import objectHash from 'object-hash'
import safeStableStringify from 'safe-stable-stringify'
import { type Contender, check, clock, formatOps, formatRatio, measure, printTable } from './harness.js'
import { jsonForm, payloads, sizeLabel } from './payloads.js'

const sha256 = (text: string): string => crypto.hash('sha256', text, 'hex')

/** object-hash takes Map, Set, Date, BigInt, RegExp and typed arrays as they are; URL it refuses (→ href). */
function objectHashForm(value: unknown): unknown {
  if (value instanceof URL) return value.href
  if (Array.isArray(value)) return value.map(objectHashForm)
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [objectHashForm(k), objectHashForm(v)]))
  if (value instanceof Set) return new Set([...value].map(objectHashForm))
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, objectHashForm(v)]))
  }
  return value
}

const TARGET_OBJECT_HASH = 5
const TARGET_SSS = 1

const rows: string[][] = []
let missed = 0
for (const payload of payloads()) {
  const call = { fn: payload.fn, args: payload.args }
  // Prepared outside the timed loop: the JSON-only baselines get the closest JSON form.
  const jsonCall = payload.rich
    ? { fn: payload.fn, args: jsonForm(payload.args, { keepToJSON: true }) }
    : call
  const sssCall = payload.rich
    ? { fn: payload.fn, args: jsonForm(payload.args, { keepToJSON: true, keepBigInt: true }) }
    : call
  const objectHashCall = payload.rich ? { fn: payload.fn, args: objectHashForm(payload.args) } : call

  check(hashKey(call).key.length === 64, 'hashKey gives a sha256 hex key')
  check(objectHash(objectHashCall, { algorithm: 'sha256' }).length === 64, 'object-hash accepts the payload')
  const size = Buffer.byteLength(canonicalCall(call))

  const contenders: Contender[] = [
    { name: 'core', run: () => hashKey(call).key },
    { name: 'json', run: () => sha256(JSON.stringify(jsonCall)) },
    { name: 'sss', run: () => sha256(safeStableStringify(sssCall) as string) },
    { name: 'object-hash', run: () => objectHash(objectHashCall, { algorithm: 'sha256' }) },
  ]
  const ops = measure(contenders)
  const core = ops.get('core')!
  const vsFloor = core / ops.get('json')!
  const vsSss = core / ops.get('sss')!
  const vsOh = core / ops.get('object-hash')!
  const met = vsOh >= TARGET_OBJECT_HASH && vsSss >= TARGET_SSS
  if (!met) missed++
  // When even the non-canonical floor is not 5× object-hash, no canonical encoder can be: say so.
  const floorVsOh = ops.get('json')! / ops.get('object-hash')!
  const why = [
    vsOh < TARGET_OBJECT_HASH && floorVsOh < TARGET_OBJECT_HASH
      ? `floor itself only ${formatRatio(floorVsOh)} o-h`
      : '',
    vsSss < TARGET_SSS ? `${formatRatio(vsSss)} sss` : '',
  ]
    .filter(Boolean)
    .join('; ')
  rows.push([
    payload.name + (payload.rich ? ' *' : ''),
    sizeLabel(size),
    formatOps(core),
    formatOps(ops.get('json')!),
    formatRatio(vsFloor),
    formatOps(ops.get('sss')!),
    formatRatio(vsSss),
    formatOps(ops.get('object-hash')!),
    formatRatio(vsOh),
    met ? 'met' : `MISSED (${why || `${formatRatio(vsOh)} o-h`})`,
  ])
}

console.log(
  `\nhash: hashKey({ fn, args }) vs baselines (ops/s of ${clock} time, median of interleaved rounds; × = core ÷ baseline)\n`,
)
printTable(
  [
    'payload',
    'canonical',
    'core hashKey',
    'JSON+sha256',
    '× floor',
    'sss+sha256',
    '× sss',
    'object-hash',
    '× o-h',
    `target (≥${TARGET_OBJECT_HASH}× o-h, ≥${TARGET_SSS}× sss)`,
  ],
  rows,
)
console.log(
  [
    '',
    'Every contender hashes the same {fn, args} payload with SHA-256 (core and the JSON baselines through the one-shot',
    'crypto.hash; object-hash through its own streaming createHash).',
    '* rich payload: JSON.stringify and safe-stable-stringify cannot hold Map/Set/typed arrays/RegExp/undefined, so',
    '  they hash the closest JSON form (Map → entries, Set → array, bytes → numbers, RegExp → text), prepared outside',
    '  the timed loop. What they handle themselves stays: Date and URL (toJSON), BigInt for safe-stable-stringify',
    '  (JSON.stringify gets decimal strings). object-hash takes the real values (URL → href, which it refuses).',
    `${missed === 0 ? 'All targets met.' : `${missed} payload(s) missed a target.`}`,
  ].join('\n'),
)
if (process.env.BENCH_STRICT === '1' && missed > 0) process.exitCode = 1
