// Pagination across pages with a stable order, and the list filters, on SQLite through fastify-store.
import t from 'tap'
import { build, seed, sleep } from './fixtures/helpers.js'

t.test('pages cover every record once, in a stable order', async (t) => {
  const app = await build(t)
  const ids: string[] = []
  for (let i = 0; i < 45; i++)
    ids.push((await seed(app.compStore, { fn: i % 2 ? 'odd' : 'even', args: [i] })).id)
  const newestFirst = [...ids].reverse()

  const seen: string[] = []
  for (let page = 1; page <= 3; page++) {
    const body = (await app.inject({ url: `/computations?page=${page}` })).json()
    t.match(body, { page, per_page: 20, total: 45, pages: 3 })
    t.equal(body.data.length, page < 3 ? 20 : 5)
    seen.push(...body.data.map((r: { id: string }) => r.id))
  }
  t.same(seen, newestFirst, 'newest first, each once')

  const past = (await app.inject({ url: '/computations?page=4' })).json()
  t.match(past, { page: 4, total: 45, pages: 3, data: [] }, 'a page past the end is empty')

  const oldest: string[] = []
  for (let page = 1; page <= 5; page++) {
    const body = (await app.inject({ url: `/computations?page=${page}&per_page=10&sort=createdAt` })).json()
    t.match(body, { per_page: 10, pages: 5 })
    oldest.push(...body.data.map((r: { id: string }) => r.id))
  }
  t.same(oldest, ids, 'sort=createdAt: oldest first')

  // The same page twice is the same page.
  const again1 = (await app.inject({ url: '/computations?page=2&per_page=7' })).json()
  const again2 = (await app.inject({ url: '/computations?page=2&per_page=7' })).json()
  t.same(again1.data, again2.data)

  const big = (await app.inject({ url: '/computations?per_page=100' })).json()
  t.equal(big.data.length, 45)
  t.equal(big.pages, 1)
})

t.test('filters: status (list), function, since/until', async (t) => {
  const app = await build(t)
  const store = app.compStore
  // A few ms apart, so that `since`/`until` at b's creation time separate them.
  const a = await seed(store, { fn: 'alpha' })
  await sleep(3)
  const b = await seed(store, { fn: 'beta' })
  await sleep(3)
  const c = await seed(store, { fn: 'alpha' })
  await store.computations.update('default', b.id, 'queued', { status: 'started' })
  await store.computations.update('default', c.id, 'queued', { status: 'failed' })

  const ids = async (query: string) =>
    (await app.inject({ url: `/computations?${query}` })).json().data.map((r: { id: string }) => r.id)
  t.same(await ids('status=queued'), [a.id])
  t.same(await ids('status=started,failed'), [c.id, b.id])
  t.same(await ids('status=started&status=queued'), [b.id, a.id])
  t.same(await ids('function=alpha'), [c.id, a.id])
  t.same(await ids('function=alpha&status=failed'), [c.id])
  t.same(await ids('function=gamma'), [])

  const createdB = new Date((await store.computations.get('default', b.id))!.createdAt).toISOString()
  t.same(await ids(`since=${createdB}&sort=createdAt`), [b.id, c.id], 'since is inclusive')
  t.same(await ids(`until=${createdB}`), [a.id], 'until is exclusive')
  t.same(await ids('since=2999-01-01T00:00:00Z'), [])
})

t.test(
  'hash= lists the attempts of one call (newest first: per_page=1 is the latest); bad hashes are 400',
  async (t) => {
    const app = await build(t)
    const store = app.compStore
    const first = await seed(store, { fn: 'flaky', args: [1] })
    const other = await seed(store, { fn: 'flaky', args: [2] })
    await store.computations.update('default', first.id, 'queued', { status: 'started' })
    await store.computations.update('default', first.id, 'started', { status: 'failed' })
    const retried = await app.inject({ method: 'POST', url: `/computations/${first.id}/retry` })
    t.equal(retried.statusCode, 201, retried.body)
    const second = retried.json()
    t.match(second, { hash: first.hash, attempt: 2, status: 'queued' })

    const rows = async (query: string) =>
      (await app.inject({ url: `/computations?${query}` }))
        .json()
        .data.map((r: { id: string; attempt: number }) => [r.id, r.attempt])
    t.same(await rows(`hash=${first.hash}&per_page=1`), [[second.id, 2]], 'the latest attempt')
    t.same(await rows(`hash=${first.hash}&sort=createdAt`), [
      [first.id, 1],
      [second.id, 2],
    ])
    t.same(await rows(`hash=${other.hash}`), [[other.id, 1]])
    t.same(await rows(`hash=${'0'.repeat(64)}`), [])
    for (const bad of ['', '%24gt', 'a%20b', 'a'.repeat(257), '%7B%22%24ne%22%3A1%7D']) {
      const res = await app.inject({ url: `/computations?hash=${bad}` })
      t.equal(res.statusCode, 400, `hash=${bad.slice(0, 20)}`)
      t.equal(res.json().code, 'CM_ERR_VALIDATION')
    }
  },
)
