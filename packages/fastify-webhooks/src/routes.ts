/** The admin routes: `/webhooks` (create, list), `/webhooks/:id` (read, update, delete), deliveries, test. */
import {
  errorResponses,
  protect,
  resolveNamespaces,
  withDetails,
  writeNamespace,
} from '@comp-manager/fastify-kit'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { toDeliveryDto, toWebhookDto } from './dto.js'
import { SubscriptionNotFoundError, TargetRefusedError } from './errors.js'
import type { WebhookRoutes } from './route-types.js'
import {
  CreateWebhookBodySchema,
  DeliveryListSchema,
  DeliverySchema,
  UpdateWebhookBodySchema,
  WebhookIdParamsSchema,
  WebhookListSchema,
  WebhookQuerySchema,
  WebhookSchema,
} from './schemas.js'
import type { SubscriptionWithState } from './subscriptions.js'

/** The namespaces a request covers (`null`: every namespace, for an admin not naming one). */
function scope(
  routes: WebhookRoutes,
  request: FastifyRequest,
  requested: string | undefined,
): string[] | null {
  const identity = request.auth ?? null
  if (requested === undefined && identity !== null && (identity.allNamespaces || identity.role === 'admin'))
    return null
  const namespaces = resolveNamespaces(request, { defaultNamespace: routes.options.namespace, requested })
  if (namespaces === null)
    throw withDetails(new SubscriptionNotFoundError(`namespace ${requested} not found`), {
      namespace: requested,
    })
  return namespaces
}

async function found(
  routes: WebhookRoutes,
  request: FastifyRequest,
  id: string,
  requested: string | undefined,
): Promise<SubscriptionWithState> {
  const s = await routes.service.subscriptions.find(id, scope(routes, request, requested))
  if (s === null) throw withDetails(new SubscriptionNotFoundError(`webhook ${id} not found`), { id })
  return s
}

function createRoute(routes: WebhookRoutes): void {
  const { app, instance, tagged, authErrors, service, options } = routes
  app.post(
    '/webhooks',
    {
      schema: {
        ...tagged(
          'createWebhook',
          'Subscribe a URL to events',
          'Creates a subscription of `url` to the events of `types` (default: all) in `namespace`, delivered from ' +
            'the next event on, at least once, signed as Standard Webhooks says (`webhook-id`, `webhook-timestamp`, ' +
            '`webhook-signature`). The answer holds the `secret`, shown only here and on rotation. A malformed URL, ' +
            'or one that points (or resolves) at a loopback, private or link-local address, is a 400.',
        ),
        body: CreateWebhookBodySchema,
        response: { 201: WebhookSchema, ...errorResponses(400, ...authErrors, 404, 413, 500, 503) },
      },
      preHandler: protect(instance, 'admin'),
    },
    async (request, reply) => {
      const body = request.body
      const namespace = writeNamespace(request, {
        defaultNamespace: options.namespace,
        requested: body.namespace,
        notFound: SubscriptionNotFoundError,
        invalid: TargetRefusedError,
      })
      const created = await service.create({ ...body, namespace })
      return reply.code(201).send(toWebhookDto(created, true))
    },
  )
}

function listRoute(routes: WebhookRoutes): void {
  const { app, instance, tagged, authErrors, service } = routes
  app.get(
    '/webhooks',
    {
      schema: {
        ...tagged(
          'listWebhooks',
          'List the webhook subscriptions',
          'By namespace, then id; secrets are never listed.',
        ),
        querystring: WebhookQuerySchema,
        response: { 200: WebhookListSchema, ...errorResponses(400, ...authErrors, 404, 500, 503) },
      },
      preHandler: protect(instance, 'admin'),
    },
    async (request) => {
      const list = await service.subscriptions.list(scope(routes, request, request.query.namespace))
      return { data: list.map((s) => toWebhookDto(s)) }
    },
  )
}

function oneRoutes(routes: WebhookRoutes): void {
  const { app, instance, tagged, authErrors, service } = routes
  const common = { params: WebhookIdParamsSchema, querystring: WebhookQuerySchema }
  app.get(
    '/webhooks/:id',
    {
      schema: {
        ...tagged('getWebhook', 'Read a webhook subscription', 'With its delivery state; never its secret.'),
        ...common,
        response: { 200: WebhookSchema, ...errorResponses(400, ...authErrors, 404, 500, 503) },
      },
      preHandler: protect(instance, 'admin'),
    },
    async (request) => toWebhookDto(await found(routes, request, request.params.id, request.query.namespace)),
  )
  app.patch(
    '/webhooks/:id',
    {
      schema: {
        ...tagged(
          'updateWebhook',
          'Change a webhook subscription',
          'Target, types, description; `enabled: true` re-enables a subscription the server disabled (delivery ' +
            'resumes from its cursor: nothing is lost); `rotateSecret: true` returns the new secret once.',
        ),
        ...common,
        body: UpdateWebhookBodySchema,
        response: { 200: WebhookSchema, ...errorResponses(400, ...authErrors, 404, 409, 413, 500, 503) },
      },
      preHandler: protect(instance, 'admin'),
    },
    async (request) => {
      const s = await found(routes, request, request.params.id, request.query.namespace)
      const updated = await service.update(s, request.body)
      return toWebhookDto(updated, request.body.rotateSecret === true)
    },
  )
  app.delete(
    '/webhooks/:id',
    {
      schema: {
        ...tagged('deleteWebhook', 'Delete a webhook subscription', 'Deliveries stop; its log goes with it.'),
        ...common,
        response: {
          204: Type.Null({ description: 'Deleted' }),
          ...errorResponses(400, ...authErrors, 404, 500, 503),
        },
      },
      preHandler: protect(instance, 'admin'),
    },
    async (request, reply) => {
      const s = await found(routes, request, request.params.id, request.query.namespace)
      await service.subscriptions.delete(s.subscription.value.namespace, s.subscription.value.id)
      return reply.code(204).send(null)
    },
  )
}

function deliveryRoutes(routes: WebhookRoutes): void {
  const { app, instance, tagged, authErrors, service } = routes
  const common = { params: WebhookIdParamsSchema, querystring: WebhookQuerySchema }
  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        ...tagged(
          'listWebhookDeliveries',
          'The delivery log of a subscription',
          "Its newest attempts (the server's `logSize`), newest first: message id, event, status, duration, error.",
        ),
        ...common,
        response: { 200: DeliveryListSchema, ...errorResponses(400, ...authErrors, 404, 500, 503) },
      },
      preHandler: protect(instance, 'admin'),
    },
    async (request) => {
      const s = await found(routes, request, request.params.id, request.query.namespace)
      return { data: [...s.state.value.log].reverse().map(toDeliveryDto) }
    },
  )
  app.post(
    '/webhooks/:id/test',
    {
      schema: {
        ...tagged(
          'testWebhook',
          'Send a test message',
          'Posts a signed `webhook.test` message to the target now (not retried) and answers the attempt, also logged.',
        ),
        ...common,
        response: { 200: DeliverySchema, ...errorResponses(400, ...authErrors, 404, 500, 503) },
      },
      preHandler: protect(instance, 'admin'),
    },
    async (request) => {
      const s = await found(routes, request, request.params.id, request.query.namespace)
      return toDeliveryDto(await service.test(s))
    },
  )
}

export const webhookRoutes = [createRoute, listRoute, oneRoutes, deliveryRoutes]
