import t from 'tap'
import { RESULT_SLICE, resultPayload, STREAM_RESULT_ABOVE, slices } from '../src/result-body.js'

t.test('slices: cover the text in order, never split a surrogate pair', async (t) => {
  t.same([...slices('', 4)], [])
  t.same([...slices('abcdefghij', 4)], ['abcd', 'efgh', 'ij'])
  // '😀' is two code units; a slice of 4 ending on its first one is shortened by one.
  const text = 'abc😀def😀'
  const parts = [...slices(text, 4)]
  t.same(parts, ['abc', '😀de', 'f😀'])
  t.equal(parts.join(''), text)
  for (const part of parts) t.notOk(/[\ud800-\udbff]$/.test(part), `${JSON.stringify(part)} ends whole`)
  const long = '😀'.repeat(100_001)
  const all = [...slices(long)]
  t.equal(all.join(''), long)
  t.ok(all.every((s) => s.length <= RESULT_SLICE && s.length % 2 === 0))
})

t.test('resultPayload: small text as is, large text as a stream of the same text', async (t) => {
  const small = 'x'.repeat(STREAM_RESULT_ABOVE)
  t.equal(resultPayload(small), small)
  const large = `"${'y'.repeat(STREAM_RESULT_ABOVE)}"`
  const stream = resultPayload(large)
  t.not(typeof stream, 'string')
  let read = ''
  for await (const chunk of stream as AsyncIterable<Buffer>) read += chunk.toString()
  t.equal(read, large)
})
