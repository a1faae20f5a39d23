import type { QueueStore, Store } from '@comp-manager/core'
import type { RouteDocs } from '@comp-manager/fastify-kit'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify'
import type { Fleet } from './fleet.js'
import type { LeaseContext } from './held.js'
import type { ResolvedWorkerPluginOptions } from './options.js'

/** The routes' context, typed by the TypeBox type provider. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

/** What every route declaration of the plugin needs. */
export interface ProtocolRoutes extends Pick<RouteDocs, 'tagged' | 'authErrors'> {
  app: App
  /** The encapsulated context (for `protect`). */
  instance: FastifyInstance
  store: Store
  queue: QueueStore
  lease: LeaseContext
  fleet: Fleet
  options: ResolvedWorkerPluginOptions
}
