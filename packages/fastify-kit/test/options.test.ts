// definePluginOptions: the options every route plugin has, one schema through core's defineOptions.
import { DurationSchema } from '@comp-manager/core/options'
import t, { type Test } from 'tap'
import { Type } from 'typebox'
import { definePluginOptions } from '../src/index.js'

interface Widget {
  namespace: string
  store: unknown
  spin(): void
}
const isWidget = (value: unknown): value is Widget =>
  typeof value === 'object' && value !== null && typeof (value as Widget).spin === 'function'

const Options = definePluginOptions({
  plugin: 'widget-plugin',
  defaultPrefix: '/widgets',
  defaultNamespace: 'default',
  defaultDecorator: 'widget',
  instance: {
    option: 'widget',
    createOption: 'widgetOptions',
    noun: 'widget',
    expected: 'a Widget',
    storeVerb: 'lives in',
    is: isWidget,
  },
  properties: {
    every: Type.Optional(DurationSchema({ min: 10 })),
    label: Type.Optional(Type.String()),
  },
})

function fails(t: Test, input: unknown, option: string, message: RegExp) {
  t.throws(
    () => Options.parse(input),
    { code: 'CM_ERR_INVALID_ARGUMENT', details: { option, package: 'widget-plugin' }, message },
    option,
  )
}

t.test('defaults, decoded own options, the instance and its options as given', async (t) => {
  t.same(Options.parse(undefined), {
    namespace: 'default',
    prefix: '/widgets',
    development: false,
    decorator: 'widget',
    storeDecorator: 'compStore',
    instance: undefined,
    createOptions: {},
    own: {},
    given: {},
  })
  t.match(Options.parse(null), { namespace: 'default', prefix: '/widgets' })
  const logger = { info() {}, state: new Map([['a', 1]]) }
  const o = Options.parse({
    namespace: 'team-a',
    prefix: '/api/widgets',
    development: true,
    widgetOptions: { logger, size: 3 },
    every: '2s',
    label: 'x',
  })
  t.same(o.own, { every: 2000, label: 'x' })
  t.equal(o.createOptions.logger, logger, 'pass-through options are not copied')
  t.match(o, { namespace: 'team-a', prefix: '/api/widgets', development: true })

  // A widget written as a plain object keeps its identity (the decoder would copy it).
  const widget: Widget = { namespace: 'w', store: {}, spin() {} }
  const given = Options.parse({ widget })
  t.equal(given.instance, widget)
  t.equal(given.namespace, 'w', "the instance's namespace by default")
  t.equal(Options.parse({ widget, namespace: 'w' }).namespace, 'w')
})

t.test('each problem names the plugin and the option', async (t) => {
  fails(t, 'x', 'options', /^widget-plugin: options must be an object/)
  fails(
    t,
    { widgit: 1 },
    'widgit',
    /^widget-plugin: `widgit` is not an option \(expected one of widget, widgetOptions, namespace, prefix, decorator, storeDecorator, every, label, development\)/,
  )
  fails(t, { widget: {} }, 'widget', /`widget` must be a Widget \(got Object\)/)
  fails(t, { widgetOptions: [] }, 'widgetOptions', /`widgetOptions` must be an object/)
  fails(
    t,
    { widgetOptions: { store: {} } },
    'widgetOptions.store',
    /is not accepted: the widget lives in fastify\.compStore/,
  )
  fails(
    t,
    { widgetOptions: { namespace: 'x' } },
    'widgetOptions.namespace',
    /use the plugin option `namespace`/,
  )
  fails(t, { namespace: 'a b' }, 'namespace', /`namespace` must be 1-128 characters/)
  fails(
    t,
    { prefix: '/widgets/' },
    'prefix',
    /`prefix` must be a URL path such as '\/widgets' \(no trailing slash\)/,
  )
  fails(t, { prefix: 'widgets' }, 'prefix', /URL path/)
  fails(t, { every: 5 }, 'every', /from 10/)
  fails(t, { every: '5 s' }, 'every', /duration such as '30s'/)
  fails(t, { development: 'yes' }, 'development', /must be a boolean/)
  for (const bad of ['', '1widget', 'my-widget', 'a.b', 'x'.repeat(65), 7]) {
    fails(
      t,
      { decorator: bad },
      'decorator',
      /`decorator` must be a decorator name: an identifier such as 'widget'/,
    )
    fails(t, { storeDecorator: bad }, 'storeDecorator', /an identifier such as 'compStore'/)
  }
})

t.test('decorator and storeDecorator: the names chosen', async (t) => {
  t.match(Options.parse({ decorator: 'myWidget', storeDecorator: '$store_2' }), {
    decorator: 'myWidget',
    storeDecorator: '$store_2',
  })
})

t.test('across options: an instance or the options to create one; one namespace', async (t) => {
  const widget: Widget = { namespace: 'w', store: {}, spin() {} }
  fails(
    t,
    { widget, widgetOptions: {} },
    'widgetOptions',
    /cannot be combined with `widget`: configure the widget you pass instead/,
  )
  fails(t, { widget, namespace: 'other' }, 'namespace', /is 'other' but the widget's namespace is 'w'/)
  t.throws(() => Options.fail('every', 'is too often'), {
    message: 'widget-plugin: `every` is too often',
    details: { option: 'every', package: 'widget-plugin' },
  })
})
