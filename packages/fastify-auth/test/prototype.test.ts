import { createHmac } from 'node:crypto'
import type { InjectOptions } from 'fastify'
import t from 'tap'
import { apiKeyEntries, b64url, bearer, build, claims, craftToken, keys, SECRET } from './fixtures/helpers.js'

function snapshot() {
  return {
    names: Object.getOwnPropertyNames(Object.prototype).sort(),
    proto: Object.getPrototypeOf({}),
    polluted: ({} as Record<string, unknown>).polluted,
    role: ({} as Record<string, unknown>).role,
  }
}

/** A token whose JSON text holds `extra` verbatim (so `__proto__` is a key of the JSON, not a prototype). */
function rawToken(json: string): string {
  const head = b64url({ alg: 'HS256', typ: 'JWT' })
  const body = Buffer.from(json).toString('base64url')
  return `${head}.${body}.${createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url')}`
}

t.test(
  'Object.prototype is unchanged after requests with __proto__ in headers, cookies, claims, bodies',
  async (t) => {
    const before = snapshot()
    const app = await build(t, { apiKeys: apiKeyEntries, cookie: true })
    const exp = Math.floor(Date.now() / 1000) + 600
    const protoHeaders = JSON.parse(
      '{"__proto__": {"polluted": "yes"}, "constructor": "x", "x-api-key": "cmk___proto___0123456789abcdef0123"}',
    )

    const results: Record<string, number> = {}
    const run = async (name: string, opts: InjectOptions) => {
      results[name] = (await app.inject(opts)).statusCode
    }
    await run('__proto__ header + key', { url: '/read', headers: protoHeaders })
    await run('cmk_constructor key', {
      url: '/read',
      headers: { 'x-api-key': 'cmk_constructor_0123456789abcdef0123' },
    })
    await run('__proto__ cookie', {
      url: '/read',
      headers: { cookie: `__proto__=polluted; constructor=x; cm_token=${craftToken(claims())}` },
    })
    await run('__proto__ role claim', {
      url: '/read',
      headers: bearer(
        rawToken(`{"__proto__":{"role":"admin","polluted":"yes"},"sub":"a","ns":["team-a"],"exp":${exp}}`),
      ),
    })
    await run('constructor.prototype claim', {
      url: '/read',
      headers: bearer(
        rawToken(
          `{"sub":"a","role":"viewer","ns":["team-a"],"exp":${exp},"constructor":{"prototype":{"polluted":"yes"}}}`,
        ),
      ),
    })
    await run('__proto__ ns claim', {
      url: '/read',
      headers: bearer(rawToken(`{"sub":"a","role":"viewer","ns":{"__proto__":["team-a"]},"exp":${exp}}`)),
    })
    await run('__proto__ JSON body', {
      method: 'POST',
      url: '/write',
      headers: { ...bearer(craftToken(claims({ role: 'operator' }))), 'content-type': 'application/json' },
      payload: '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
    })
    await run('__proto__ body to /auth/token', {
      method: 'POST',
      url: '/auth/token',
      headers: { 'x-api-key': keys.viewer.key, 'content-type': 'application/json' },
      payload: '{"__proto__":{"polluted":"yes"}}',
    })
    t.same(results, {
      '__proto__ header + key': 401,
      'cmk_constructor key': 401,
      '__proto__ cookie': 200,
      '__proto__ role claim': 401,
      'constructor.prototype claim': 200,
      '__proto__ ns claim': 401,
      '__proto__ JSON body': 400,
      '__proto__ body to /auth/token': 400,
    })
    t.same(snapshot(), before, 'Object.prototype unchanged')
    t.equal(({} as Record<string, unknown>).polluted, undefined)
  },
)
