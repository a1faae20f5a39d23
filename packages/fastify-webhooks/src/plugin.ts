import { cmError } from '@comp-manager/core'
import {
  claimDecorator,
  healthCheckName,
  refuseLateAuth,
  registerHealthCheck,
  routeDocs,
  useRouteKit,
} from '@comp-manager/fastify-kit'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { Dispatcher } from './dispatcher.js'
import {
  type FastifyWebhooksOptions,
  PLUGIN_NAME,
  type ResolvedWebhooksOptions,
  resolveOptions,
} from './options.js'
import type { WebhookRoutes } from './route-types.js'
import { webhookRoutes } from './routes.js'
import { USER_AGENT, WebhookService } from './service.js'
import { Subscriptions } from './subscriptions.js'
import './types.js'

/** What the plugin decorates as `fastify.webhooks` (or the name given as the `decorator` option). */
export interface Webhooks {
  /** Subscriptions as the routes see them (create, update, test). */
  readonly service: WebhookService
  /** The dispatcher of this process (`null` with `deliver: false`). */
  readonly dispatcher: Dispatcher | null
}

function portsOf(fastify: FastifyInstance, o: ResolvedWebhooksOptions) {
  const { decorator, storeDecorator } = o
  const store = claimDecorator(fastify, { plugin: PLUGIN_NAME, decorator, storeDecorator })
  for (const port of ['events', 'documents'] as const) {
    if (store[port] === undefined)
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `${PLUGIN_NAME}: fastify.${storeDecorator} has no ${port} port (store.${port})`,
        { details: { decorator: storeDecorator, port } },
      )
  }
  return { store, events: store.events!, documents: store.documents! }
}

/** The plugin function; `index.ts` wraps it with `fastify-plugin`. */
export async function fastifyWebhooksPlugin(
  fastify: FastifyInstance,
  options: FastifyWebhooksOptions,
): Promise<void> {
  const o = resolveOptions(options)
  const { store, events, documents } = portsOf(fastify, o)
  const service = new WebhookService(new Subscriptions(documents, o.logSize), events, o)
  const dispatcher = o.deliver
    ? new Dispatcher({
        events,
        subscriptions: service.subscriptions,
        pollMs: o.pollMs,
        timeoutMs: o.timeoutMs,
        concurrency: o.concurrency,
        batch: o.batch,
        retry: o.retry,
        disableAfterFailures: o.disableAfterFailures,
        policy: service.policy,
        userAgent: USER_AGENT,
        clock: Date.now,
        onError: (err) => fastify.log.warn({ err }, `${PLUGIN_NAME}: a delivery round failed`),
      })
    : null
  fastify.decorate(o.decorator, { service, dispatcher } satisfies Webhooks)
  registerHealthCheck(fastify, healthCheckName(fastify, 'webhooks', o.namespace), async () => {
    const ping = await store.ping()
    return {
      ok: ping.ok,
      latencyMs: ping.latencyMs,
      details: { delivery: dispatcher === null ? 'off' : 'running' },
    }
  })
  refuseLateAuth(fastify, PLUGIN_NAME)
  fastify.addHook('onReady', async () => {
    await service.applyConfigured(o.subscriptions)
    dispatcher?.start()
  })
  fastify.addHook('onClose', async () => dispatcher?.stop())
  await fastify.register(
    async (instance) => {
      useRouteKit(instance, { development: o.development, notFound: false })
      const { tagged, authErrors } = routeDocs(instance, 'webhooks')
      const routes: WebhookRoutes = {
        app: instance.withTypeProvider<TypeBoxTypeProvider>(),
        instance,
        tagged,
        authErrors,
        service,
        options: o,
      }
      for (const declare of webhookRoutes) declare(routes)
    },
    { prefix: o.prefix },
  )
}
