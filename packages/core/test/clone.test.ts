import t from 'tap'
import { cloneStored } from '../src/store/clone.js'

t.test('cloneStored copies plain data deeply, like structuredClone', async (t) => {
  const source = { a: 1, b: 'x', c: null, d: undefined, e: [1, { f: true }], g: { h: { i: 2n } } }
  const copy = cloneStored(source)
  t.same(copy, structuredClone(source))
  t.not(copy.e, source.e)
  t.not(copy.e[1], source.e[1])
  t.not(copy.g.h, source.g.h)
  ;(copy.e[1] as { f: boolean }).f = false
  t.equal((source.e[1] as { f: boolean }).f, true, 'a change to the copy does not reach the source')
})

t.test('non-plain objects go through structuredClone', async (t) => {
  const date = new Date(5)
  const bytes = new Uint8Array([1, 2, 3])
  const map = new Map([['k', { v: 1 }]])
  const copy = cloneStored({ date, bytes, map })
  t.ok(copy.date instanceof Date)
  t.equal(copy.date.getTime(), 5)
  t.not(copy.date, date)
  t.ok(copy.bytes instanceof Uint8Array)
  t.same([...copy.bytes], [1, 2, 3])
  t.not(copy.bytes, bytes)
  t.same(copy.map.get('k'), { v: 1 })
  t.not(copy.map.get('k'), map.get('k'))
})

t.test('an own __proto__ key stays data and never sets the prototype', async (t) => {
  const source = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<string, unknown>
  const copy = cloneStored(source)
  t.equal(Object.getPrototypeOf(copy), Object.prototype)
  t.same(Object.keys(copy), ['__proto__', 'ok'])
  t.equal((copy as { polluted?: boolean }).polluted, undefined)
  t.same(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value, { polluted: true })
  t.equal(({} as { polluted?: boolean }).polluted, undefined)
})

t.test('null-prototype objects copy to plain objects', async (t) => {
  const source = Object.assign(Object.create(null), { a: [1, 2] }) as { a: number[] }
  const copy = cloneStored(source)
  t.equal(Object.getPrototypeOf(copy), Object.prototype)
  t.same(copy.a, [1, 2])
  t.not(copy.a, source.a)
})
