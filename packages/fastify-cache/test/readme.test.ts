import { readFileSync } from 'node:fs'
import { errorCodes } from '@comp-manager/core'
import t from 'tap'
import { errors } from '../src/index.js'
import { build, expectStatus } from './fixtures/helpers.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

t.test('README lists every error code the routes answer, with its status', async (t) => {
  for (const code of [
    'CM_ERR_VALIDATION',
    'CM_ERR_MALFORMED',
    'CM_ERR_UNAUTHORIZED',
    'CM_ERR_FORBIDDEN',
    'CM_ERR_NOT_FOUND',
    'CM_ERR_MAX_BYTES',
    'CM_ERR_INTERNAL',
    'CM_ERR_STORE_UNAVAILABLE',
  ] as const) {
    t.match(readme, new RegExp(`\\| \`${code}\` +\\| ${errorCodes[code].statusCode} +\\|`), code)
  }
  for (const [name, ErrorClass] of Object.entries(errors)) {
    t.match(readme, name, `${name} is documented`)
    t.match(readme, new RegExp(`\`${new ErrorClass('x').code}\``), `its code ${new ErrorClass('x').code} too`)
  }
})

t.test('README follows the layout of the route plugins and documents every option', async (t) => {
  const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1])
  t.same(headings, [
    'Install',
    'Usage',
    'Options',
    'Routes',
    'Using another auth',
    'Decorators',
    'TypeScript',
    'Errors',
    'License',
  ])
  for (const option of ['namespace', 'prefix', 'cache', 'cacheOptions', 'development']) {
    t.match(readme, new RegExp(`^### \`${option}\`$`, 'm'), option)
  }
  for (const route of [
    'GET /cache',
    'GET /cache/:key',
    'DELETE /cache/:key',
    'POST /cache/invalidate',
    'GET /cache/stats',
  ]) {
    t.match(readme, new RegExp(`^### \`${route}\`$`, 'm'), route)
  }
})

t.test("the Usage example answers what the README's curl lines show", async (t) => {
  let runs = 0
  const app = await build(t, {
    cache: { cacheOptions: { ttl: '1h' } },
    routes(app) {
      const quote = app.cache.wrap(
        'quote',
        async (sku: string) => {
          runs++
          return { sku, cents: 1999n, at: new Date() }
        },
        { version: 1, tags: (args) => [`sku:${args[0]}`] },
      )
      app.get('/quotes/:sku', async (request) => {
        const { cents } = await quote((request.params as { sku: string }).sku)
        return { cents: String(cents) }
      })
    },
  })
  t.same((await app.inject({ url: '/quotes/A-1' })).json(), { cents: '1999' })
  t.same((await app.inject({ url: '/quotes/A-1' })).json(), { cents: '1999' })
  t.equal(runs, 1)
  const list = expectStatus(t, await app.inject({ url: '/cache' }), 200)
  t.match(list.data[0], { function: 'quote', version: '1', tags: ['sku:A-1'], hits: 1 })
  t.match(expectStatus(t, await app.inject({ url: '/cache/stats' }), 200), {
    hits: 1,
    misses: 1,
    hitRate: 0.5,
    entries: 1,
  })
  const invalidate = await app.inject({
    method: 'POST',
    url: '/cache/invalidate',
    headers: { 'content-type': 'application/json' },
    payload: '{"tag":"sku:A-1"}',
  })
  t.same(expectStatus(t, invalidate, 200), { deleted: 1, namespace: 'default' })
})
