import type { RouteDocs, TypeBoxApp } from '@comp-manager/fastify-kit'
import type { FastifyInstance } from 'fastify'
import type { ResolvedWebhooksOptions } from './options.js'
import type { WebhookService } from './service.js'

/** The routes' context, typed by the TypeBox type provider. */
export type App = TypeBoxApp

export interface WebhookRoutes extends Pick<RouteDocs, 'tagged' | 'authErrors'> {
  app: App
  instance: FastifyInstance
  service: WebhookService
  options: ResolvedWebhooksOptions
}
