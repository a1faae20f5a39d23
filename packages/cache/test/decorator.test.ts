import { MemoryStore } from '@comp-manager/core'
import t from 'tap'
import { cached, createCache } from '../src/index.js'
import { codeOf, errorOf } from './fixtures/helpers.js'

/** The standard (TC39) method decorator. */

const store = new MemoryStore()
t.teardown(() => store.close())

t.test('@cache.decorator and @cached(cache): ClassName.method, shared across instances', async (t) => {
  const cache = createCache({ store, namespace: 'deco' })
  t.teardown(() => cache.close())
  const calls: string[] = []

  class Prices {
    constructor(readonly currency: string) {}

    @cache.decorator({ ttl: '1h', tags: ['prices'] })
    async price(sku: string): Promise<number> {
      calls.push(`price ${sku} ${this.currency}`)
      return sku.length * 10
    }

    @cached(cache, { key: (sku: string) => `stock:${sku}` })
    async stock(sku: string): Promise<{ sku: string; count: bigint }> {
      calls.push(`stock ${sku}`)
      return { sku, count: 3n }
    }

    @cache.cached({ name: 'prices/rate' })
    static async rate(from: string, to: string): Promise<number> {
      calls.push(`rate ${from}${to}`)
      return 1.1
    }
  }

  class DiscountPrices extends Prices {}

  t.equal(
    cache.explain('prices/rate', ['EUR', 'USD']).canonical,
    '{"args":["EUR","USD"],"fn":"prices/rate"}',
    'a static method is known once the class is defined',
  )
  const eur = new Prices('EUR')
  t.ok(cache.explain('Prices.stock', ['abc']).key === 'stock:abc', 'instance methods once an instance exists')
  t.equal(await eur.price('abc'), 30)
  t.equal(await new Prices('USD').price('abc'), 30, 'the instance is not part of the key')
  t.equal(await new DiscountPrices('GBP').price('abc'), 30, 'a subclass shares the declaring class name')
  t.same(await eur.stock('abc'), { sku: 'abc', count: 3n })
  t.same(await eur.stock('abc'), { sku: 'abc', count: 3n })
  t.equal(await Prices.rate('EUR', 'USD'), 1.1)
  t.equal(await Prices.rate('EUR', 'USD'), 1.1)
  t.same(calls, ['price abc EUR', 'stock abc', 'rate EURUSD'])

  const entries = await store.cache.list({ namespace: 'deco', sort: 'createdAt' })
  t.same(entries.data.map((e) => e.function).sort(), ['Prices.price', 'Prices.stock', 'prices/rate'])
  t.ok(await cache.has('stock:abc'), 'the custom key')
  t.equal(cache.explain('Prices.price', ['abc']).algorithm, 'sha256')
  t.equal(await cache.invalidate({ tag: 'prices' }), 1)
})

t.test('a key function sees the instance as `this`', async (t) => {
  const cache = createCache({ store, namespace: 'deco-this' })
  t.teardown(() => cache.close())
  let calls = 0
  class Local {
    constructor(readonly region: string) {}

    @cache.decorator({
      key: function (this: Local, sku: string) {
        return `${this.region}:${sku}`
      },
    })
    async quote(sku: string): Promise<string> {
      calls++
      return `${sku} in ${this.region}`
    }
  }
  t.equal(await new Local('eu').quote('a'), 'a in eu')
  t.equal(await new Local('us').quote('a'), 'a in us', 'another region, another key')
  t.equal(await new Local('eu').quote('a'), 'a in eu')
  t.equal(calls, 2)
  t.ok((await cache.has('eu:a')) && (await cache.has('us:a')))
})

t.test('the decorator checks its options when the class is defined', async (t) => {
  const cache = createCache({ store, namespace: 'deco' })
  t.teardown(() => cache.close())
  const err = await errorOf(() => cache.decorator({ ttl: 'an hour' as never }))
  t.equal(err.code, 'CM_ERR_INVALID_ARGUMENT')
  t.equal(err.details?.option, 'ttl')
  t.equal(await codeOf(() => cache.decorator({ name: '' })), 'CM_ERR_INVALID_ARGUMENT')
  t.equal(await codeOf(() => cached({} as never)), 'CM_ERR_INVALID_ARGUMENT', 'cached() needs a cache')
  const legacy = cache.decorator() as unknown as (target: object, key: string, descriptor: object) => unknown
  t.equal(
    await codeOf(() => legacy({}, 'method', {})),
    'CM_ERR_INVALID_ARGUMENT',
    'legacy decorators are refused',
  )
})
