/**
 * `@comp-manager/fastify-worker`: the HTTP worker protocol of comp-manager (claim with long-poll,
 * heartbeat, complete, fail, release, with signed lease tokens), `GET /workers`, and the recovery of
 * dead workers' jobs, as a Fastify 5 plugin usable alone in any app that registers
 * `@comp-manager/fastify-store` with a store that has a queue port. See docs/WORKER-PROTOCOL.md.
 */
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { type FastifyWorkerOptions, PLUGIN_NAME } from './options.js'
import { fastifyWorkerPlugin } from './plugin.js'
import './types.js'

export { errors, JobNotFoundError, LeaseLostError, WorkerValidationError } from './errors.js'
export type { WorkerProtocolEventName, WorkerProtocolEvents } from './events.js'
export {
  DEFAULT_DECORATOR,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_LOST_RETRIES,
  DEFAULT_MAX_RESULT_BYTES,
  DEFAULT_MAX_WAIT_MS,
  DEFAULT_NAMESPACE,
  DEFAULT_RECOVER_INTERVAL_MS,
  DEFAULT_REGISTRY_TTL_MS,
  type FastifyWorkerOptions,
  MAX_CLAIM,
  PLUGIN_NAME,
} from './options.js'
export type { WorkerProtocol } from './plugin.js'
export {
  type ClaimBody,
  ClaimBodySchema,
  type ClaimedJob,
  ClaimedJobSchema,
  ClaimResponseSchema,
  type CompleteBody,
  CompleteBodySchema,
  type FailBody,
  FailBodySchema,
  FailResponseSchema,
  type HeartbeatBody,
  HeartbeatBodySchema,
  HeartbeatResponseSchema,
  JobParamsSchema,
  type ReleaseBody,
  ReleaseBodySchema,
  ReleaseResponseSchema,
  type WorkerDto,
  WorkerDtoSchema,
  type WorkerListQuery,
  WorkerListQuerySchema,
  type WorkerPage,
  WorkerPageSchema,
} from './schemas.js'
export type { WorkerProtocolDecorator } from './types.js'

/**
 * The plugin: `app.register(fastifyWorker, { namespace, prefix, leaseSecret, maxWaitMs, … })` after
 * `@comp-manager/fastify-store` (and `@comp-manager/fastify-auth`, to protect the routes). Decorates
 * `fastify.workerProtocol` and registers the `workers` health check.
 */
export const fastifyWorker: FastifyPluginAsync<FastifyWorkerOptions> = fp(fastifyWorkerPlugin, {
  fastify: '5.x',
  name: PLUGIN_NAME,
  dependencies: ['@comp-manager/fastify-store'],
})

export default fastifyWorker
