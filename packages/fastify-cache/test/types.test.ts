// Type tests: `tsc -p tsconfig.json` (the package's `typecheck`) checks this file; tap runs it so the
// assertions also execute. A wrong augmentation fails the typecheck, not just this test.
import type { Cache } from '@comp-manager/cache'
import { MemoryStore } from '@comp-manager/core'
import { fastifyCompStore } from '@comp-manager/fastify-store'
import Fastify, { type FastifyPluginAsync } from 'fastify'
import t from 'tap'
import '../src/decorator.js'
import type { Static } from 'typebox'
import fastifyCache, {
  type CacheEntryDto,
  type CacheEntryWithValueDto,
  type CacheStatsDto,
  type CacheStatsSchema,
  type FastifyCacheOptions,
  type InvalidateBody,
  type ListQuery,
  type PluginCacheOptions,
} from '../src/index.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <T extends true>(_: T): void => {}

assertType<Equal<typeof fastifyCache, FastifyPluginAsync<FastifyCacheOptions>>>(true)
assertType<Equal<CacheStatsDto, Static<typeof CacheStatsSchema>>>(true)
assertType<Equal<CacheStatsDto['hits'], number | null>>(true)
assertType<Equal<CacheEntryDto['createdAt'], string>>(true)
assertType<Equal<CacheEntryDto['expiresAt'], string | null>>(true)
assertType<Equal<CacheEntryWithValueDto['value'], unknown>>(true)
assertType<
  Equal<ListQuery['sort'], 'createdAt' | '-createdAt' | 'hits' | '-hits' | 'size' | '-size' | undefined>
>(true)
assertType<Equal<InvalidateBody['version'], string | number | null | undefined>>(true)
assertType<Equal<keyof PluginCacheOptions & ('store' | 'namespace'), never>>(true)

t.test('FastifyInstance is augmented with fastify.cache', async (t) => {
  const store = new MemoryStore()
  const app = Fastify()
  t.teardown(async () => {
    await app.close()
    await store.close()
  })
  await app.register(fastifyCompStore, { store })
  await app.register(fastifyCache, {
    namespace: 'typed',
    cacheOptions: { ttl: '1h' },
  } satisfies FastifyCacheOptions)
  const cache: Cache = app.cache
  const square = cache.wrap('square', async (n: number) => n * n)
  const nine: number = await square(3)
  t.equal(nine, 9)
  // Compile-time only.
  const refused = () => {
    // @ts-expect-error options are checked
    app.register(fastifyCache, { prefix: 5 })
    // @ts-expect-error the store comes from fastify-store
    app.register(fastifyCache, { cacheOptions: { store } })
    // @ts-expect-error wrapped functions keep their parameters
    square('3')
  }
  t.type(refused, 'function')
})
