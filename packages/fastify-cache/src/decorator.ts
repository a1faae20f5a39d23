/**
 * `import '@comp-manager/fastify-cache/decorator'`: types `fastify.cache`, the default decorator, as the
 * plugin's `Cache`. Not imported by the main entry, so that an app using `@fastify/caching` (which
 * types `fastify.cache` as its own) compiles: such an app chooses another `decorator` name.
 */
import type { CacheDecorator } from './types.js'

declare module 'fastify' {
  interface FastifyInstance extends CacheDecorator {}
}
