// Codec round trip `parse(stringify(value))`: @comp-manager/core against JSON, superjson and devalue, measured
// side by side in the same run (issue 2 §5). Run: `pnpm bench` (all benches) or `node --import tsx codec.bench.ts`.
import { isDeepStrictEqual } from 'node:util'
import { parse, stringify } from '@comp-manager/core'
import * as devalue from 'devalue'
import superjson from 'superjson'
import { type Contender, check, clock, formatOps, formatRatio, measure, printTable } from './harness.js'
import { jsonForm, payloads, sizeLabel } from './payloads.js'

const TARGET_DEVALUE = 1
const TARGET_SUPERJSON = 2.5
const TARGET_JSON = 0.5

const rows: string[][] = []
let missed = 0
for (const payload of payloads()) {
  const value = payload.args
  // Prepared outside the timed loop: JSON gets the closest JSON form of a rich payload.
  const json = payload.rich ? jsonForm(value) : value

  // Each contender must really round-trip the value before it is timed.
  check(isDeepStrictEqual(parse(stringify(value)), value), `core round-trips ${payload.name}`)
  check(
    isDeepStrictEqual(superjson.parse(superjson.stringify(value)), value),
    `superjson round-trips ${payload.name}`,
  )
  check(
    isDeepStrictEqual(devalue.parse(devalue.stringify(value)), value),
    `devalue round-trips ${payload.name}`,
  )
  check(isDeepStrictEqual(JSON.parse(JSON.stringify(json)), json), `JSON round-trips ${payload.name}`)
  const size = Buffer.byteLength(stringify(value))

  const contenders: Contender[] = [
    { name: 'core', run: () => parse(stringify(value)) },
    { name: 'json', run: () => JSON.parse(JSON.stringify(json)) },
    { name: 'superjson', run: () => superjson.parse(superjson.stringify(value)) },
    { name: 'devalue', run: () => devalue.parse(devalue.stringify(value)) },
  ]
  const ops = measure(contenders)
  const core = ops.get('core')!
  const vsJson = core / ops.get('json')!
  const vsSuper = core / ops.get('superjson')!
  const vsDevalue = core / ops.get('devalue')!
  let target: string
  if (payload.rich) {
    const met = vsDevalue >= TARGET_DEVALUE && vsSuper >= TARGET_SUPERJSON
    target = `${met ? 'met' : 'MISSED'} (≥${TARGET_DEVALUE}× devalue, ≥${TARGET_SUPERJSON}× superjson)`
    if (!met) missed++
  } else {
    const met = vsJson >= TARGET_JSON
    target = `${met ? 'met' : 'MISSED'} (within 2× of JSON)`
    if (!met) missed++
  }
  rows.push([
    payload.name + (payload.rich ? ' *' : ''),
    sizeLabel(size),
    formatOps(core),
    formatOps(ops.get('json')!),
    formatRatio(vsJson),
    formatOps(ops.get('superjson')!),
    formatRatio(vsSuper),
    formatOps(ops.get('devalue')!),
    formatRatio(vsDevalue),
    target,
  ])
}

console.log(
  `\ncodec: parse(stringify(v)) round trip vs baselines (ops/s of ${clock} time, median of interleaved rounds; × = core ÷ baseline)\n`,
)
printTable(
  ['payload', 'text', 'core', 'JSON', '× JSON', 'superjson', '× sj', 'devalue', '× dv', 'target'],
  rows,
)
console.log(
  [
    '',
    'Every round trip is checked once (deep equality) before timing.',
    '* rich payload: JSON.stringify/parse cannot carry Map/Set/Date/BigInt/typed arrays, so it round-trips the',
    '  closest JSON form (prepared outside the timed loop) and its column is only a floor, not a target.',
    `${missed === 0 ? 'All targets met.' : `${missed} payload(s) missed a target.`}`,
  ].join('\n'),
)
if (process.env.BENCH_STRICT === '1' && missed > 0) process.exitCode = 1
