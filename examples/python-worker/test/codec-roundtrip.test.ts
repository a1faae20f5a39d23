// Node → Python → Node: values encoded by core's codec are decoded by the Python codec module, encoded
// again, and decoded by core into the same values; Python's hash of each equals core's hashValue.
import { spawnSync } from 'node:child_process'
import { hashValue, parse, stringify } from '@comp-manager/core'
import { math } from '@comp-manager/example-server'
import t from 'tap'
import { exampleDir, pythonVersion, SKIP_NO_PYTHON } from './fixtures/python.js'

const SCRIPT = `
import json, sys
from cmworker import demo  # registers mathjs.Fraction and mathjs.DenseMatrix
from cmworker.canonical import hash_value
from cmworker.codec import parse, stringify
for line in sys.stdin:
    value = parse(line)
    print(json.dumps({"text": stringify(value), "sha256": hash_value(value)}))
`

const cause = new RangeError('root')
const error = Object.assign(new TypeError('bad input', { cause }), { code: 'E_BAD' })
const values: Record<string, unknown> = {
  bigints: [0n, -(2n ** 200n), 10n ** 30n],
  numbers: [0, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -1e300, 5e-324, 2 ** 53 - 1],
  strings: ['', 'é 中文 😀', 'a\ud800b', 'quote " backslash \\ \u0000'],
  'nested containers': {
    list: [1, [2, [3, { deep: true }]]],
    map: new Map<unknown, unknown>([
      ['a', new Set([1, 'x'])],
      [2n, null],
    ]),
  },
  'undefined and holes': [undefined, null, { a: undefined }],
  dates: [
    new Date(0),
    new Date('2024-02-29T12:30:45.123Z'),
    new Date(Number.NaN),
    new Date('+012000-01-01T00:00:00.000Z'),
  ],
  binary: [
    Buffer.from('hello'),
    new Float64Array([1, 2.5]),
    new Int16Array([-32768, 32767]),
    new Uint8Array([]).buffer,
  ],
  errors: [error, new Error('plain')],
  'escaped object': { __type__: 'Date', value: 'not a date', a: 1 },
  '__proto__ key': JSON.parse('{"__proto__":{"polluted":true},"a":1}'),
  'RegExp and URL': [/a+b\/c/gi, new URL('https://user@example.com:8080/p?q=1#f')],
  'mathjs Fractions': [math.fraction(-1, 3), math.matrix([[math.fraction(1, 2), math.fraction(3, 1)]])],
}

const version = pythonVersion()
if (version === undefined) {
  t.comment(SKIP_NO_PYTHON)
  t.pass(SKIP_NO_PYTHON)
} else {
  const names = Object.keys(values)
  const input = names.map((name) => stringify(values[name])).join('\n') + '\n'
  const run = spawnSync('python3', ['-c', SCRIPT], {
    cwd: exampleDir,
    input,
    encoding: 'utf8',
    timeout: 60_000,
  })
  t.equal(run.status, 0, `the Python side ran${run.stderr ? `:\n${run.stderr}` : ''}`)
  const lines = run.stdout.trim().split('\n')
  t.equal(lines.length, names.length, 'one answer per value')
  names.forEach((name, i) => {
    t.test(name, async (t) => {
      const answer = JSON.parse(lines[i] ?? '{}') as { text: string; sha256: string }
      const back = parse(answer.text)
      if (name === 'dates') {
        // tap cannot print an invalid Date: compare the times (NaN for the invalid one).
        const times = (dates: unknown) => (dates as Date[]).map((d) => [d instanceof Date, d.getTime()])
        t.same(times(back), times(values[name]), 'decodes in Node to the same Dates')
      } else {
        t.same(back, values[name], 'decodes in Node to the same value')
      }
      // The same canonical text (a Python set does not keep the insertion order of the codec text).
      t.equal(hashValue(back), hashValue(values[name]), 'hashes alike after the trip')
      t.equal(answer.sha256, hashValue(values[name]), "Python's hash_value is core's hashValue")
    })
  })
}
