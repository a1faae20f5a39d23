// `client.computations.stats()` against the running example server: the fleet's counts from the store.
import t from 'tap'
import { createClient, isApiError } from '../src/index.js'
import { startApi } from './fixtures/server.js'

t.test('computations.stats: queued, running, paused and the last hour by outcome', async (t) => {
  const api = await startApi(t)
  const client = createClient({ baseUrl: api.url, token: api.tokens.admin })
  const empty = await client.computations.stats()
  t.match(empty, { queued: 0, running: 0, paused: 0, lastHour: { failed: 0, finished: 0, lost: 0 } })
  t.same(empty.namespaces, ['default'])
  t.ok(Number.isFinite(Date.parse(empty.at)), 'at is a timestamp')

  for (let i = 0; i < 3; i++)
    await client.computations.create({ function: 'stats.q', args: [i], status: 'queued' })
  const done = await client.computations.create({ function: 'stats.r', args: [1], status: 'started' })
  await client.computations.create({ function: 'stats.r', args: [2], status: 'started' })
  await client.computations.update(done.id, { status: 'finished' })
  const stats = await client.computations.stats()
  t.match(stats, {
    queued: 3,
    running: 1,
    paused: 0,
    lastHour: { finished: 1, failed: 0 },
    lowerBound: false,
  })

  const other = await client.computations.stats({ namespace: 'elsewhere' })
  t.match(other, { namespaces: ['elsewhere'], queued: 0, running: 0 })
})

t.test('computations.stats: a bad namespace is 400, no token 401', async (t) => {
  const api = await startApi(t)
  const client = createClient({ baseUrl: api.url, token: api.tokens.viewer })
  const bad = await client.computations.stats({ namespace: '$where' }).catch((e: unknown) => e)
  t.ok(isApiError(bad, 'CM_ERR_VALIDATION'), String(bad))
  const anonymous = createClient({ baseUrl: api.url })
  const refused = await anonymous.computations.stats().catch((e: unknown) => e)
  t.ok(isApiError(refused, 'CM_ERR_UNAUTHORIZED'), String(refused))
  t.equal((refused as { status: number }).status, 401)
})
