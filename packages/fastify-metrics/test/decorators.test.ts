// The `decorator` option (issue 15): the service under another name, for a host that already has a
// `compMetrics`; a taken or invalid name fails register() naming it.
import { createTracker } from '@comp-manager/tracker'
import Fastify from 'fastify'
import t from 'tap'
import { fastifyMetrics, type MetricsDecorator } from '../src/index.js'
import { buildTestApp, sampleValue, scrape, TOKEN } from './fixtures/helpers.js'

declare module 'fastify' {
  interface FastifyInstance extends MetricsDecorator<'promMetrics'> {}
}

t.test('registered under another name: fastify[decorator], the host’s compMetrics left alone', async (t) => {
  const app = await buildTestApp(t, { token: TOKEN, decorator: 'promMetrics' }, (app) => {
    app.decorate('compMetrics' as string, 'the host app’s own')
  })
  t.equal(Reflect.get(app, 'compMetrics'), 'the host app’s own', 'the default name is not touched')
  const tracker = createTracker({ store: app.compStore, namespace: 'default' })
  app.promMetrics.observeTracker(tracker)
  await tracker.track('square', async (n: number) => n * n)(3)
  const { samples } = await scrape(app)
  t.equal(sampleValue(samples, 'comp_manager_runs_total', { function: 'square', outcome: 'finished' }), 1)
})

t.test('a taken name is refused at register (CM_ERR_INVALID_ARGUMENT, details.decorator)', async (t) => {
  const taken = Fastify()
  t.teardown(() => taken.close())
  taken.decorate('metrics' as string, 1)
  taken.register(fastifyMetrics, { token: TOKEN, decorator: 'metrics', defaultMetrics: false })
  await t.rejects(async () => taken.ready(), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    details: { decorator: 'metrics' },
  })
  // The default name, taken by a first registration, is refused the second time…
  const twice = Fastify()
  t.teardown(() => twice.close())
  await twice.register(fastifyMetrics, { token: TOKEN, defaultMetrics: false })
  twice.register(fastifyMetrics, { token: TOKEN, defaultMetrics: false, path: '/m2' })
  await t.rejects(async () => twice.ready(), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    details: { decorator: 'compMetrics' },
  })
  // …and accepted under another name.
  const renamed = Fastify()
  t.teardown(() => renamed.close())
  await renamed.register(fastifyMetrics, { token: TOKEN, defaultMetrics: false })
  await renamed.register(fastifyMetrics, {
    token: TOKEN,
    defaultMetrics: false,
    path: '/m2',
    decorator: 'm2',
  })
  await renamed.ready()
  t.ok(renamed.hasDecorator('compMetrics') && renamed.hasDecorator('m2'), 'both registrations decorate')
})

t.test('an invalid name is refused at register, naming the option', async (t) => {
  const cases: Array<[string, unknown]> = [
    ['decorator', ''],
    ['decorator', '1abc'],
    ['decorator', 'has-dash'],
    ['decorator', 42],
    ['decorator', '__proto__'],
    ['storeDecorator', 'a b'],
  ]
  for (const [option, value] of cases) {
    const app = Fastify()
    t.teardown(() => app.close())
    app.register(fastifyMetrics, { token: TOKEN, defaultMetrics: false, [option]: value } as never)
    await t.rejects(
      async () => app.ready(),
      { code: 'CM_ERR_INVALID_ARGUMENT' },
      `${option}: ${JSON.stringify(value)}`,
    )
  }
})
