// Generates packages/core/test-vectors.json: the hashing contract of @comp-manager/core (see HASHING.md).
// Runs against the built package: `cd packages/core && npx tsc -p tsconfig.build.json`, then
//   node scripts/generate-hash-vectors.mjs           write the file
//   node scripts/generate-hash-vectors.mjs --check   fail when the committed file differs (CI)
// A changed vector is a breaking change: a new HASH_FORMAT and a new major of @comp-manager/core.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const core = await import(join(root, 'packages/core/dist/index.js'))
const { Codec, HASH_FORMAT, canonicalCall, hashKey, hashValue } = core
const target = join(root, 'packages/core/test-vectors.json')

// A registered class, so the registered-type form is covered. Tests register the same definition.
class Point {
  constructor(x, y) {
    this.x = x
    this.y = y
  }
  toJSON() {
    return { x: this.x, y: this.y }
  }
  static fromJSON(data) {
    return new Point(data.x, data.y)
  }
}
const codec = new Codec().registerClass(Point, { name: 'test.Point' })

// Errors get a fixed stack: the stack is carried by the codec but left out of the canonical form, and the
// input texts must not depend on the machine that generated them.
function error(ctor, message, extra = {}) {
  const err = new ctor(message, 'cause' in extra ? { cause: extra.cause } : undefined)
  err.stack = `${err.name}: ${message}\n    at vector`
  if (extra.code !== undefined) err.code = extra.code
  return err
}

const bytes8 = new Uint8Array([0, 0, 0, 0, 0, 0, 240, 63]) // the bytes of Float64Array [1]
const buf16 = new ArrayBuffer(16)
new Uint8Array(buf16).set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])
const protoKey = JSON.parse('{"__proto__":{"polluted":true},"a":1}')

/** [name, value] pairs hashed as values (`hashValue`, `canonicalEncode`). */
const values = [
  ['null', null],
  ['true', true],
  ['false', false],
  ['zero', 0],
  ['negative zero', -0],
  ['one', 1],
  ['string "1"', '1'],
  ['bigint 1n', 1n],
  ['fraction 1.5', 1.5],
  ['0.1 + 0.2', 0.1 + 0.2],
  ['1e21 (exponent form)', 1e21],
  ['1e-7 (exponent form)', 1e-7],
  ['123456789012345680000 (no exponent below 1e21)', 123456789012345680000],
  ['negative -123.456', -123.456],
  ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
  ['MIN_VALUE', Number.MIN_VALUE],
  ['MAX_VALUE', Number.MAX_VALUE],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['undefined', undefined],
  ['empty string', ''],
  [
    'string escapes',
    'quote " backslash \\ newline \n tab \t nul \u0000 unit-sep \u001f del \u007f ls \u2028 slash /',
  ],
  ['non-ASCII string', 'é 中文 😀'],
  ['lone surrogates', 'a\ud800b\udfffc'],
  ['bigint 2^200', 2n ** 200n],
  ['bigint -(2^64)', -(2n ** 64n)],
  ['empty array', []],
  ['empty object', {}],
  ['empty Map', new Map()],
  ['empty Set', new Set()],
  ['1 vs "1" vs 1n in one array', [1, '1', 1n]],
  [
    'object keys sorted by UTF-16 code units',
    { b: 1, a: 2, '': 0, A: 3, _: 4, é: 5, '\uffff': 6, '😀': 7, a0: 8 },
  ],
  ['undefined value vs missing vs null', [{ a: undefined }, {}, { a: null }]],
  // biome-ignore lint/suspicious/noSparseArray: the vector is about a hole (it hashes as undefined)
  ['array with undefined and a hole', [undefined, null, , 1]],
  ['nested object and array', { outer: { list: [1, [2, [3, { deep: true }]]], s: 'x' }, n: -1 }],
  ['Date', new Date(Date.UTC(2024, 1, 29, 12, 30, 45, 123))],
  ['Date before 1970', new Date(Date.UTC(1969, 6, 20, 20, 17))],
  ['Date after 9999', new Date(Date.UTC(12000, 0, 1))],
  ['invalid Date', new Date(Number.NaN)],
  ['Date vs its ISO string', [new Date(0), new Date(0).toISOString()]],
  [
    'Map with mixed keys',
    new Map([
      ['b', 1],
      [2, 'two'],
      [10n, 'big'],
      [Number.NaN, 'nan'],
      [undefined, 'undef'],
      [{ k: 1 }, 'object key'],
      ['a', 2],
    ]),
  ],
  [
    'Map with equal key texts (ordered by value text)',
    new Map([
      [{}, 10],
      [{}, 1],
    ]),
  ],
  [
    'Map entries sorted by canonical key text',
    new Map([
      ['b', 1],
      ['a', 2],
      [1, 3],
      [null, 4],
      [[], 5],
    ]),
  ],
  ['Set of mixed values', new Set(['b', 'a', 3, 20, 1n, null, true, new Date(0)])],
  ['RegExp with flags', /a+b\/c/gimsuy],
  ['RegExp without flags', /^x$/],
  ['URL', new URL('https://user@example.com:8080/p/a/t/h?query=1&b=%20#frag')],
  ['Error', error(Error, 'boom')],
  [
    'TypeError with code and cause',
    error(TypeError, 'bad input', { code: 'E_BAD', cause: error(RangeError, 'root') }),
  ],
  ['Error subclass name', Object.assign(error(Error, 'custom'), { name: 'ValidationError' })],
  ['Uint8Array', new Uint8Array([1, 2, 3, 255])],
  ['Uint8Array vs Float64Array with the same bytes', [bytes8, new Float64Array([1])]],
  [
    'every typed array',
    [
      new Int8Array([-128, 127]),
      new Uint8Array([0, 255]),
      new Uint8ClampedArray([0, 255]),
      new Int16Array([-32768, 32767]),
      new Uint16Array([0, 65535]),
      new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
      new Uint32Array([0, 2 ** 32 - 1]),
      new Float32Array([1.5, -0]),
      new Float64Array([Math.PI, Number.NaN]),
      new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]),
      new BigUint64Array([0n, 2n ** 64n - 1n]),
    ],
  ],
  ['typed array view at an offset', new Float64Array(buf16, 8, 1)],
  ['empty typed array', new Float32Array(0)],
  ['ArrayBuffer', buf16],
  ['DataView', new DataView(buf16, 4, 8)],
  ['Buffer', Buffer.from('hello')],
  ['plain object owning __type__ (escaped)', { __type__: 'Date', value: 'not a date', a: 1 }],
  ['object with a __proto__ key', protoKey],
  ['registered class test.Point', new Point(1, 2)],
  ['registered class vs plain object with the same fields', [new Point(1, 2), { x: 1, y: 2 }]],
  ['Error vs plain object', [error(Error, 'x'), { name: 'Error', message: 'x' }]],
  [
    'nested rich values',
    {
      when: new Date(Date.UTC(2020, 0, 1)),
      tags: new Set(['x', 'y']),
      index: new Map([['k', { big: 123456789012345678901234567890n, bytes: new Uint8Array([9]) }]]),
      special: [Number.NaN, -0, Number.POSITIVE_INFINITY, undefined],
    },
  ],
]

/** [name, { fn, version?, args }] hashed with `hashKey`. */
const calls = [
  ['call fib(30)', { fn: 'fib', args: [30] }],
  ['call with version 1', { fn: 'fib', version: 1, args: [30] }],
  ['call with version "1"', { fn: 'fib', version: '1', args: [30] }],
  ['call with version "v2"', { fn: 'fib', version: 'v2', args: [30] }],
  ['call with no args', { fn: 'now', args: [] }],
  ['call with undefined args', { fn: 'noop', args: undefined }],
  ['call with a qualified name', { fn: 'reports/Monthly.render', version: 3, args: [{ month: '2024-02' }] }],
  [
    'call with rich args',
    { fn: 'ledger', args: [new Map([['alice', 10n ** 30n]]), new Set([1, 2]), new Date(0)] },
  ],
  ['call with a non-ASCII name', { fn: 'résumé/生成', args: ['😀'] }],
  ['call with a registered class', { fn: 'geo.distance', args: [new Point(0, 0), new Point(3, 4)] }],
]

const vectors = []
for (const [name, value] of values) {
  vectors.push({
    name,
    kind: 'value',
    input: codec.stringify(value),
    canonical: codec.canonical(value),
    sha256: hashValue(value, { codec }),
  })
}
for (const [name, call] of calls) {
  vectors.push({
    name,
    kind: 'call',
    input: codec.stringify(call),
    canonical: canonicalCall(call, { codec }),
    sha256: hashKey(call, { codec }).key,
    sha1: hashKey(call, { codec, algorithm: 'sha1' }).key,
    md5: hashKey(call, { codec, algorithm: 'md5' }).key,
  })
}

const names = new Set(vectors.map((v) => v.name))
if (names.size !== vectors.length) throw new Error('vector names must be unique')

const file = {
  format: HASH_FORMAT,
  description:
    'Test vectors of the canonical encoding of @comp-manager/core (HASHING.md). Contract: changing any vector is a ' +
    'breaking change (new format tag, new major). input: the codec text of the value (kind "value") or of the call ' +
    '{fn, version?, args} (kind "call"); canonical: the canonical text; sha256/sha1/md5: hex digests of its UTF-8 bytes. ' +
    'The type test.Point is a registered class whose value is {"x":number,"y":number}. ' +
    'Generated by scripts/generate-hash-vectors.mjs.',
  vectors,
}
const text = `${JSON.stringify(file, null, 2)}\n`

if (process.argv.includes('--check')) {
  let current = ''
  try {
    current = readFileSync(target, 'utf8')
  } catch {}
  if (current !== text) {
    console.error(`${target} is stale or was edited by hand: rerun scripts/generate-hash-vectors.mjs.`)
    console.error('A changed vector is a breaking change of the hash format (see HASHING.md).')
    process.exit(1)
  }
  console.log(`test-vectors.json is up to date (${vectors.length} vectors)`)
} else {
  writeFileSync(target, text)
  console.log(`wrote ${vectors.length} vectors to ${target}`)
}
