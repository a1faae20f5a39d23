import t from 'tap'
import { buildServer } from '../src/index.js'

t.test('GET /health answers 200 {status: ok}', async (t) => {
  const app = await buildServer()
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/health' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /application\/json/)
  t.same(res.json(), { status: 'ok' })
})

t.test('unknown routes answer 404', async (t) => {
  const app = await buildServer()
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/nope' })
  t.equal(res.statusCode, 404)
})
