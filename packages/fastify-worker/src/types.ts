import type { WorkerProtocol } from './plugin.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The worker protocol of `@comp-manager/fastify-worker`: `recover()` runs one recovery pass now. */
    workerProtocol: WorkerProtocol
  }
}
