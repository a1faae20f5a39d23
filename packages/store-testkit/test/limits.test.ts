import { MemoryStore } from '@comp-manager/core'
import t from 'tap'
import { conformanceGroups, storeConformance } from '../src/index.js'
import { resolveCapabilities } from '../src/options.js'

const skipAll = Object.fromEntries(conformanceGroups.map((group) => [group, 'not under test here']))

t.test('declared limits keep their reasons; the suite reports each as a "not verified" skip', async (t) => {
  const limits = { ttlEnforced: 'TTL indexes never delete here', transactions: 'standalone server' }
  t.same(resolveCapabilities({ limits }).limits, limits)
  t.same(resolveCapabilities({}).limits, {}, 'none by default')
  // The TAP output of this subtest shows `ttlEnforced: false # SKIP not verified: …`.
  await storeConformance(t, ({ clock }) => new MemoryStore({ clock }), {
    name: 'MemoryStore with declared limits',
    skip: skipAll,
    limits,
  })
})

t.test('an unknown limit or an empty reason is refused', async (t) => {
  t.throws(() => resolveCapabilities({ limits: { teleports: 'no' } as never }), {
    code: 'CM_ERR_INVALID_ARGUMENT',
  })
  t.throws(() => resolveCapabilities({ limits: { ttlEnforced: '' } }), { code: 'CM_ERR_INVALID_ARGUMENT' })
})
