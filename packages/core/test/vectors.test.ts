// The hashing contract (HASHING.md): every vector of test-vectors.json must hold, byte for byte. A failure
// here is a breaking change of the key format, not a test to update; see HASHING.md § Compatibility.
import * as crypto from 'node:crypto'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { Codec, canonicalCall, HASH_FORMAT, type HashKeyInput, hashKey, hashValue } from '../src/index.js'
import { canonicalTree } from './fixtures/canonical-tree.js'

interface Vector {
  name: string
  kind: 'value' | 'call'
  input: string
  canonical: string
  sha256: string
  sha1?: string
  md5?: string
}

const file = JSON.parse(readFileSync(new URL('../test-vectors.json', import.meta.url), 'utf8')) as {
  format: string
  vectors: Vector[]
}

// The vectors' registered type (see the file's description).
class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  toJSON() {
    return { x: this.x, y: this.y }
  }
  static fromJSON(d: { x: number; y: number }) {
    return new Point(d.x, d.y)
  }
}
const codec = new Codec().registerClass(Point, { name: 'test.Point' })

t.equal(file.format, HASH_FORMAT, 'the vectors are of the current format')
t.ok(file.vectors.length >= 40, `at least 40 vectors (${file.vectors.length})`)
t.equal(new Set(file.vectors.map((v) => v.name)).size, file.vectors.length, 'names are unique')
t.ok(
  file.vectors.some((v) => v.kind === 'call'),
  'hashKey call vectors are included',
)

for (const v of file.vectors) {
  t.test(`${v.kind}: ${v.name}`, async (t) => {
    const tree = JSON.parse(v.input)
    t.equal(
      crypto.hash('sha256', v.canonical, 'hex'),
      v.sha256,
      'sha256 is the digest of the canonical text (UTF-8)',
    )
    if (v.kind === 'value') {
      const value = codec.parse(v.input)
      t.equal(codec.canonical(value), v.canonical, 'canonical text')
      t.equal(hashValue(value, { codec }), v.sha256, 'sha256')
      t.equal(codec.stringify(value), v.input, 'the input text is the codec text of the value')
      t.equal(
        canonicalTree(tree),
        v.canonical,
        'reproducible from the input text alone (reference canonicaliser)',
      )
    } else {
      const call = codec.parse(v.input) as HashKeyInput
      t.equal(canonicalCall(call, { codec }), v.canonical, 'canonical text')
      t.equal(hashKey(call, { codec }).key, v.sha256, 'sha256 key')
      if (v.sha1) t.equal(hashKey(call, { codec, algorithm: 'sha1' }).key, v.sha1, 'sha1 key')
      if (v.md5) t.equal(hashKey(call, { codec, algorithm: 'md5' }).key, v.md5, 'md5 key')
      // From the input text alone: {args, fn, version} with sorted keys, version left out when absent.
      t.equal(
        canonicalTree(tree),
        v.canonical,
        'reproducible from the input text alone (reference canonicaliser)',
      )
    }
  })
}
