import t from 'tap'
import { build, seed } from './fixtures/helpers.js'

/** Stated in the README: a page of 100 summaries stays under 100 KiB whatever the size of the args. */
const PAGE_BUDGET_BYTES = 100 * 1024

t.test('GET /computations by cursor walks every record once, in order; include adds args', async (t) => {
  const app = await build(t)
  const ids: string[] = []
  for (let i = 0; i < 7; i++) ids.unshift((await seed(app.compStore, { fn: 'walk', args: [i] })).id)
  const seen: string[] = []
  let url = '/computations?per_page=3'
  for (let pages = 0; pages < 10; pages++) {
    const res = await app.inject({ url })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.equal(body.total, 7)
    t.equal(body.page, pages === 0 ? 1 : null, 'page only without a cursor')
    seen.push(...body.data.map((r: { id: string }) => r.id))
    if (body.next_cursor === null) break
    url = `/computations?per_page=3&cursor=${encodeURIComponent(body.next_cursor)}`
  }
  t.same(seen, ids, 'newest first, each once')
  const withArgs = (await app.inject({ url: '/computations?per_page=1&include=args' })).json()
  t.ok('args' in withArgs.data[0], 'args when included')
  t.notOk('checkpoint' in withArgs.data[0], 'no checkpoint unless included')
})

t.test('a page of summaries of records with 1 MB args stays within the stated budget', async (t) => {
  const app = await build(t)
  const big = 'x'.repeat(1024 * 1024)
  for (let i = 0; i < 100; i++) await seed(app.compStore, { fn: 'big', args: [big, i] })
  const res = await app.inject({ url: '/computations?per_page=100' })
  t.equal(res.statusCode, 200)
  t.equal(res.json().data.length, 100)
  t.ok(res.body.length < PAGE_BUDGET_BYTES, `${res.body.length} bytes < ${PAGE_BUDGET_BYTES}`)
  const full = await app.inject({ url: '/computations?per_page=2&include=args' })
  t.ok(full.body.length > 2 * 1024 * 1024, 'with include=args the args are there')
})

t.test(
  'forged, malformed, foreign or oversize cursors and bad include → 400 with the standard body',
  async (t) => {
    const app = await build(t)
    for (let i = 0; i < 4; i++) await seed(app.compStore, { fn: 'f' })
    const { next_cursor: cursor } = (await app.inject({ url: '/computations?per_page=2' })).json()
    const [payload, signature] = cursor.split('.')
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString())
    const forged = `${Buffer.from(JSON.stringify({ ...body, k: [0, 'zzz'] })).toString('base64url')}.${signature}`
    // The query schema refuses the shapes (CM_ERR_VALIDATION); the store refuses what only a signature
    // check or the filters can tell (CM_ERR_INVALID_ARGUMENT, details.field cursor).
    const V = 'CM_ERR_VALIDATION'
    const I = 'CM_ERR_INVALID_ARGUMENT'
    const cases: [string, string, string][] = [
      ['forged', `cursor=${forged}`, I],
      ['garbage', 'cursor=garbage', I],
      ['empty', 'cursor=', V],
      ['oversize', `cursor=${'a'.repeat(5000)}`, V],
      ['an operator', 'cursor[$gt]=', V],
      ['another filter', `cursor=${cursor}&status=failed`, I],
      ['another sort', `cursor=${cursor}&sort=createdAt`, I],
      ['with page', `cursor=${cursor}&page=2`, I],
      ['include unknown', 'include=stack', V],
      ['include an operator', 'include[$ne]=args', V],
      ['include twice the list', 'include=args,args,args', V],
    ]
    for (const [label, query, code] of cases) {
      const res = await app.inject({ url: `/computations?per_page=2&${query}` })
      t.equal(res.statusCode, 400, `${label}: 400`)
      t.equal(res.json().code, code, `${label}: ${code}`)
      if (code === I) t.equal(res.json().details?.field, 'cursor', `${label}: names the cursor`)
    }
    t.equal((await app.inject({ url: `/computations?per_page=2&cursor=${cursor}` })).statusCode, 200)
  },
)
