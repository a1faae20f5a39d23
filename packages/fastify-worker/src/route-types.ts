import type { QueueStore, Store } from '@comp-manager/core'
import type { Emitter } from '@comp-manager/core/runs'
import type { RouteDocs, TypeBoxApp } from '@comp-manager/fastify-kit'
import type { FastifyInstance } from 'fastify'
import type { WorkerProtocolEvents } from './events.js'
import type { Fleet } from './fleet.js'
import type { LeaseContext } from './held.js'
import type { ResolvedWorkerPluginOptions } from './options.js'

/** The routes' context, typed by the TypeBox type provider. */
export type App = TypeBoxApp

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
  /** What `fastify.workerProtocol.on` listens to. */
  events: Emitter<WorkerProtocolEvents>
}
