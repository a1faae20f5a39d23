import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import t from 'tap'
import dashboard, { DASHBOARD_CSP } from '../src/plugin/index.js'

// The built application (the test runs after `build`); the plugin's default is the same folder once built.
const root = fileURLToPath(new URL('../dist/app', import.meta.url))

async function app(opts: Record<string, unknown> = {}, prefix = '/dashboard') {
  const fastify = Fastify()
  await fastify.register(dashboard, { prefix, root, ...opts })
  return fastify
}

t.test('serves the page at the prefix, with a strict CSP and its settings as meta tags', async (t) => {
  const fastify = await app({ apiBaseUrl: 'https://api.example.com/cm', title: 'Ops <board>' })
  t.teardown(() => fastify.close())
  const page = await fastify.inject('/dashboard/')
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
  t.equal(page.headers['content-security-policy'], DASHBOARD_CSP)
  t.notMatch(DASHBOARD_CSP, /unsafe-inline|unsafe-eval/)
  t.match(page.body, 'content="https://api.example.com/cm"')
  t.match(page.body, '<title>Ops &#60;board&#62;</title>', 'the title is escaped')
  t.notMatch(page.body, /<script>(?!<\/script>)|<style>/, 'no inline script or style')
  const bare = await fastify.inject('/dashboard')
  t.equal(bare.statusCode, 302)
  t.equal(bare.headers.location, '/dashboard/')
  const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.body)?.[1]
  t.ok(asset, 'the page loads a built script')
  const js = await fastify.inject(`/dashboard/${asset}`)
  t.equal(js.statusCode, 200)
  t.match(js.headers['cache-control'], /immutable/)
  t.equal((await fastify.inject('/dashboard/assets/none.js')).statusCode, 404)
  t.equal(
    (await fastify.inject('/dashboard/assets/..%2f..%2fpackage.json')).statusCode,
    404,
    'no path traversal',
  )
})

t.test('works at any prefix, and at the root', async (t) => {
  const fastify = await app({}, '/ops/ui')
  t.teardown(() => fastify.close())
  t.equal((await fastify.inject('/ops/ui/')).statusCode, 200)
  const root = await app({}, '')
  t.teardown(() => root.close())
  t.equal((await root.inject('/')).statusCode, 200)
})

t.test('bad options fail at register with a message naming them', async (t) => {
  await t.rejects(app({ apiBase: '/x' }), /`apiBase` is not an option/)
  await t.rejects(app({ apiBaseUrl: '"><script>' }), /`apiBaseUrl`/)
  await t.rejects(app({ title: 42 }), /`title`/)
  await t.rejects(app({ root: '/nonexistent' }), /`root` .* has no index.html/)
})
