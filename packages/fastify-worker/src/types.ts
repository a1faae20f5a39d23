import type { WorkerProtocol } from './plugin.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The worker protocol of `@comp-manager/fastify-worker`: `recover()` runs one recovery pass now. */
    workerProtocol: WorkerProtocol
  }
}

/**
 * `{ [Name]: WorkerProtocol }`, to type the decorator under the name chosen with the `decorator` option:
 * `declare module 'fastify' { interface FastifyInstance extends WorkerProtocolDecorator<'compWorkers'> {} }`.
 */
export type WorkerProtocolDecorator<Name extends string = 'workerProtocol'> = { [K in Name]: WorkerProtocol }
