// The verified-token cache (issue 12: no HMAC and no SHA-256 per authenticated request): an entry never
// outlives its token's `exp` nor the TTL, only verified tokens are kept, the oldest goes first.
import t from 'tap'
import { VerifiedTokenCache } from '../src/token-cache.js'
import { bearer, build, claims, craftToken, expect401, now, OTHER_SECRET } from './fixtures/helpers.js'

t.test('an entry lives until exp or the TTL, whichever is first', async (t) => {
  const cache = new VerifiedTokenCache<string>(10, 60_000)
  cache.set('a', 'A', 30_000, 0)
  cache.set('b', 'B', 999_999, 0)
  t.equal(cache.get('a', 29_999), 'A')
  t.equal(cache.get('a', 30_000), undefined, 'gone at exp')
  t.equal(cache.get('b', 59_999), 'B')
  t.equal(cache.get('b', 60_000), undefined, 'gone after the TTL')
  t.equal(cache.size, 0, 'stale entries are dropped when read')
})

t.test('the oldest entry is dropped at max; max 0 keeps nothing', async (t) => {
  const cache = new VerifiedTokenCache<number>(2, 60_000)
  cache.set('a', 1, 1e9, 0)
  cache.set('b', 2, 1e9, 0)
  cache.set('c', 3, 1e9, 0)
  t.same([cache.get('a', 1), cache.get('b', 1), cache.get('c', 1)], [undefined, 2, 3])
  const none = new VerifiedTokenCache<number>(0, 60_000)
  none.set('a', 1, 1e9, 0)
  t.equal(none.get('a', 1), undefined)
})

t.test('a cached token is still refused once it expires (exp inside the TTL)', async (t) => {
  const app = await build(t, { clockTolerance: 5 })
  const token = craftToken(claims({ exp: now() + 30 }))
  t.equal((await app.inject({ url: '/read', headers: bearer(token) })).statusCode, 200)
  t.equal((await app.inject({ url: '/read', headers: bearer(token) })).statusCode, 200, 'cached')
  const realNow = Date.now
  t.capture(Date, 'now', () => realNow() + 40_000)
  await expect401(t, app, bearer(token), 'Token expired')
})

t.test('a forged token is refused every time (refusals are not cached either way)', async (t) => {
  const app = await build(t)
  const good = craftToken(claims())
  const forged = craftToken(claims(), { secret: OTHER_SECRET })
  for (let i = 0; i < 3; i++) {
    t.equal((await app.inject({ url: '/read', headers: bearer(good) })).statusCode, 200)
    await expect401(t, app, bearer(forged), 'Invalid token')
  }
})
