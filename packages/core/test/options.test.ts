import t from 'tap'
import { Type } from 'typebox'
import {
  CallbackSchema,
  DurationSchema,
  defineOptions,
  describeValue,
  InstanceSchema,
  NameSchema,
  NamespaceOptionSchema,
  OneOfSchema,
  parseDuration,
} from '../src/options/index.js'

const Store = InstanceSchema<{ kind: string }>(
  (v) => (typeof v === 'object' && v !== null && 'kind' in v ? undefined : 'lacks kind'),
  'a Store',
)

const Options = defineOptions(
  Type.Object(
    {
      store: Store,
      namespace: NamespaceOptionSchema,
      name: Type.Optional(NameSchema(8)),
      leaseMs: Type.Optional(DurationSchema({ min: 10 })),
      ttl: Type.Optional(Type.Union([DurationSchema(), Type.Null()])),
      clock: Type.Optional(CallbackSchema('a function returning epoch ms')),
      mode: Type.Optional(OneOfSchema(['a', 'b'])),
      flag: Type.Optional(Type.Boolean()),
      retry: Type.Optional(
        Type.Object(
          { attempts: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
  { package: '@comp-manager/x', what: 'createX' },
)

const ok = { store: { kind: 'memory' }, namespace: 'ns' }

function fails(t: { throws: typeof import('tap').throws }, input: unknown, option: string, message: RegExp) {
  t.throws(
    () => Options.parse(input),
    { code: 'CM_ERR_INVALID_ARGUMENT', details: { option, package: '@comp-manager/x' }, message },
    `${option}: ${message}`,
  )
}

t.test('valid options are decoded: durations to milliseconds', async (t) => {
  t.same(Options.parse(ok), ok)
  t.same(Options.parse({ ...ok, leaseMs: '30s', ttl: null }), { ...ok, leaseMs: 30_000, ttl: null })
  t.same(Options.parse({ ...ok, ttl: '1.5h', leaseMs: 10 }), { ...ok, ttl: 5_400_000, leaseMs: 10 })
  t.same(Options.parse({ ...ok, retry: {} }), { ...ok, retry: {} })
})

t.test('each problem names the package, the option and what it must be', async (t) => {
  fails(t, 'x', 'options', /^@comp-manager\/x createX: options must be an object, got "x"$/)
  fails(t, null, 'options', /options must be an object, got null/)
  fails(t, { namespace: 'ns' }, 'store', /`store` is required/)
  fails(t, { ...ok, store: {} }, 'store', /`store` lacks kind/)
  fails(t, { ...ok, namespace: 'a b' }, 'namespace', /`namespace` must be 1-128 characters.*\(got "a b"\)/)
  fails(t, { ...ok, name: '' }, 'name', /non-empty string of at most 8/)
  fails(t, { ...ok, name: '   ' }, 'name', /non-empty/)
  fails(t, { ...ok, leaseMs: 0 }, 'leaseMs', /integer number of milliseconds from 10 .*\(got 0\)/)
  fails(t, { ...ok, leaseMs: 1.5 }, 'leaseMs', /integer/)
  fails(t, { ...ok, leaseMs: Number.NaN }, 'leaseMs', /got NaN/)
  fails(t, { ...ok, leaseMs: '1 h' }, 'leaseMs', /duration such as '30s'.*\(got "1 h"\)/)
  fails(t, { ...ok, leaseMs: '-5s' }, 'leaseMs', /got "-5s"/)
  fails(t, { ...ok, leaseMs: '10' }, 'leaseMs', /got "10"/)
  fails(t, { ...ok, ttl: 'x' }, 'ttl', /or null \(got "x"\)/)
  fails(t, { ...ok, clock: 1 }, 'clock', /`clock` must be a function returning epoch ms \(got 1\)/)
  fails(t, { ...ok, mode: 'c' }, 'mode', /one of a, b \(got "c"\)/)
  fails(t, { ...ok, flag: 'yes' }, 'flag', /must be a boolean/)
  fails(t, { ...ok, retry: 3 }, 'retry', /`retry` must be an object \(got 3\)/)
  fails(
    t,
    { ...ok, retry: { attempts: 0 } },
    'retry.attempts',
    /`retry\.attempts` must be an integer ≥ 1 \(got 0\)/,
  )
  fails(t, { ...ok, retry: { x: 1 } }, 'retry.x', /not an option \(expected one of attempts\)/)
  fails(t, { ...ok, lease: 1 }, 'lease', /is not an option \(expected one of store, namespace, name/)
})

t.test('malicious keys are refused as unknown options, never merged', async (t) => {
  const polluted = JSON.parse('{"store":{"kind":"m"},"namespace":"ns","__proto__":{"admin":true}}')
  fails(t, polluted, '__proto__', /is not an option/)
  t.equal(({} as Record<string, unknown>).admin, undefined)
  fails(t, { ...ok, constructor: 1 }, 'constructor', /is not an option/)
})

t.test('optional: undefined stands for {}', async (t) => {
  const Optional = defineOptions(Type.Object({ a: Type.Optional(Type.Boolean()) }), {
    package: 'p',
    optional: true,
  })
  t.same(Optional.parse(undefined), {})
  t.throws(() => Optional.parse(null), { message: /^p: options must be an object, got null/ })
  t.throws(() => Optional.fail('a.b', 'is wrong'), {
    code: 'CM_ERR_INVALID_ARGUMENT',
    message: 'p: `a.b` is wrong',
    details: { option: 'a.b' },
  })
})

t.test('describeValue never prints a whole object', async (t) => {
  t.equal(describeValue('x'.repeat(50)), `${JSON.stringify('x'.repeat(40))}…`)
  t.equal(describeValue([1, 2]), 'an array')
  t.equal(describeValue({ secret: 's' }), 'Object')
  t.equal(describeValue(undefined), 'undefined')
  t.equal(describeValue(10n), '10')
})

t.test('parseDuration', async (t) => {
  t.equal(parseDuration('2d', 'ttl'), 172_800_000)
  t.equal(parseDuration(0, 'ttl', true), 0)
  t.throws(() => parseDuration(0, 'ttl'), { code: 'CM_ERR_INVALID_ARGUMENT', details: { option: 'ttl' } })
  t.throws(() => parseDuration('1e3ms', 'ttl'), { code: 'CM_ERR_INVALID_ARGUMENT' })
  t.throws(() => parseDuration({}, 'ttl'), { message: /got Object/ })
})

t.test('instances keep their prototype: options are never cloned', async (t) => {
  class Logger {
    error() {}
    warn() {}
  }
  const logger = new Logger()
  const WithLogger = defineOptions(
    Type.Object({
      logger: InstanceSchema<Logger>(
        (v) => (typeof (v as Logger)?.error === 'function' ? undefined : 'lacks error()'),
        'a logger',
      ),
      ttl: Type.Optional(DurationSchema()),
    }),
    { package: 'p' },
  )
  const parsed = WithLogger.parse({ logger, ttl: '2s' })
  t.equal(parsed.logger, logger, 'the same object')
  t.equal(parsed.ttl, 2000)
})

t.test('hasShape checks an instance by its methods and properties', async (t) => {
  const { hasShape } = await import('../src/options/index.js')
  t.ok(hasShape({ a() {}, name: 'x', store: {} }, { methods: ['a'], strings: ['name'], objects: ['store'] }))
  t.notOk(hasShape({ a: 1 }, { methods: ['a'] }))
  t.notOk(hasShape({ a() {}, store: null }, { methods: ['a'], objects: ['store'] }))
  t.notOk(hasShape(null, {}))
})
