/**
 * `@comp-manager/fastify-tracker`: the `/computations` REST routes of comp-manager (list, create, read,
 * update through the state machine, delete, server-sent events) and `fastify.tracker`, as a Fastify 5
 * plugin usable alone in any app that registers `@comp-manager/fastify-store`.
 */
import { decoratorOf } from '@comp-manager/fastify-kit'
import type { Tracker } from '@comp-manager/tracker'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { FastifyTrackerOptions } from './options.js'
import { DEFAULT_DECORATOR, PLUGIN_NAME } from './options.js'
import { fastifyTrackerPlugin } from './plugin.js'
import './types.js'

export { toDto } from './dto.js'
export {
  ComputationConflictError,
  ComputationNotFoundError,
  ComputationValidationError,
  DuplicateComputationError,
  errors,
} from './errors.js'
export {
  DEFAULT_DECORATOR,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_STREAMS,
  DEFAULT_MAX_STREAMS_PER_CLIENT,
  DEFAULT_NAMESPACE,
  DEFAULT_POLL_MS,
  DEFAULT_PREFIX,
  DEFAULT_STALL_TIMEOUT_MS,
  DEFAULT_SWEEP_INTERVAL_MS,
  type FastifyTrackerOptions,
  PLUGIN_NAME,
  type PluginTrackerOptions,
  type SseOptions,
} from './options.js'
export {
  type ComputationDto,
  ComputationDtoSchema,
  type ComputationPage,
  ComputationPageSchema,
  type ComputationSummaryDto,
  ComputationSummaryDtoSchema,
  type CreateBody,
  CreateBodySchema,
  IdParamsSchema,
  type ListQuery,
  ListQuerySchema,
  PAUSE_OUTCOMES,
  type PauseAnswer,
  PauseAnswerSchema,
  type RecordQuery,
  RecordQuerySchema,
  SortSchema,
  type UpdateBody,
  UpdateBodySchema,
} from './schemas.js'
export type { TrackerDecorator } from './types.js'

/**
 * The plugin: `app.register(fastifyTracker, { namespace, prefix, tracker | trackerOptions, sse, development })`
 * after `@comp-manager/fastify-store` (and `@comp-manager/fastify-auth`, to protect the routes).
 * Decorates `fastify.tracker` and registers the `tracker` health check.
 */
export const fastifyTracker: FastifyPluginAsync<FastifyTrackerOptions> = fp(fastifyTrackerPlugin, {
  fastify: '5.x',
  name: PLUGIN_NAME,
  dependencies: ['@comp-manager/fastify-store'],
})

export default fastifyTracker

/** The tracker the plugin decorated under `decorator` (default `'tracker'`), typed, whatever the name. */
export function trackerOf(fastify: FastifyInstance, decorator: string = DEFAULT_DECORATOR): Tracker {
  return decoratorOf<Tracker>(fastify, decorator, PLUGIN_NAME)
}
