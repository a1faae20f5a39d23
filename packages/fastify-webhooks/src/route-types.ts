import type { RouteDocs } from '@comp-manager/fastify-kit'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify'
import type { ResolvedWebhooksOptions } from './options.js'
import type { WebhookService } from './service.js'

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

export interface WebhookRoutes extends Pick<RouteDocs, 'tagged' | 'authErrors'> {
  app: App
  instance: FastifyInstance
  service: WebhookService
  options: ResolvedWebhooksOptions
}
