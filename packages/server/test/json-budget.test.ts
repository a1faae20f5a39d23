// Bodies over the codec's depth or value budget are refused before they are parsed (issue 13: a
// hostile body costs one pass over its bytes), with the codec's own codes; everything else parses as
// Fastify's parser does (prototype poisoning refused, bad JSON 400).
import t from 'tap'
import { jsonShape } from '../src/json-budget.js'
import { bearer, build } from './fixtures/helpers.js'

const shape = (text: string) => jsonShape(Buffer.from(text), { depth: 1e9, values: 1e9 })

t.test('jsonShape: depth and values, strings skipped (escapes, brackets, multi-byte text)', async (t) => {
  t.same(shape('{"a":1}'), { depth: 1, values: 2 })
  t.same(shape('[1,2,3]'), { depth: 1, values: 4 })
  t.same(shape('[[[]]]'), { depth: 3, values: 4 })
  t.same(shape('{"a":"[[[,,,\\"]]]","b":["é€😀,["]}'), { depth: 2, values: 4 })
  t.same(shape('7'), { depth: 0, values: 1 })
  t.same(jsonShape(Buffer.from('[[[[[[1]]]]]]'), { depth: 3, values: 1e9 }).depth, 4, 'stops past the bound')
})

t.test('over the budgets: refused before parsing, with the codec codes', async (t) => {
  const app = await build(t, { CODEC_MAX_DEPTH: '16', CODEC_MAX_NODES: '1000' })
  const post = (payload: string) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/computations',
      headers: { ...bearer(app, 'operator'), 'content-type': 'application/json' },
      payload,
    })
  const deep = await post(`{"function":"f","args":[${'['.repeat(100)}${']'.repeat(100)}]}`)
  t.equal(deep.statusCode, 400)
  t.match(deep.json(), { code: 'CM_ERR_MAX_DEPTH', details: { limit: 'maxDepth', max: 16 } })
  const many = await post(`{"function":"f","args":[[${Array(2000).fill('{"a":1}').join(',')}]]}`)
  t.equal(many.statusCode, 400)
  t.match(many.json(), { code: 'CM_ERR_TOO_COMPLEX', details: { limit: 'maxNodes', max: 1000 } })
  t.equal((await post('{"function":"f","args":[[1,2,3]]}')).statusCode, 201, 'within the budgets')
  const broken = await post('{"function":')
  t.equal(broken.statusCode, 400, 'bad JSON: 400')
  const poisoned = await post('{"function":"f","args":[],"__proto__":{"x":1}}')
  t.equal(poisoned.statusCode, 400, 'prototype poisoning: 400')
  const list = await app.inject({ url: '/api/v1/computations', headers: bearer(app) })
  t.equal(list.json().data.length, 1, 'only the one within the budgets was written')
})
