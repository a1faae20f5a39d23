import { cmError } from '@comp-manager/core'
import { Emitter } from '@comp-manager/core/runs'
import {
  claimDecorator,
  healthCheckName,
  leaseTokensOf,
  refuseLateAuth,
  registerHealthCheck,
  routeDocs,
  useRouteKit,
} from '@comp-manager/fastify-kit'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { fleetRoutes } from './claim.js'
import type { WorkerProtocolEvents } from './events.js'
import { Fleet } from './fleet.js'
import { leaseRoutes } from './lease-routes.js'
import { type FastifyWorkerOptions, PLUGIN_NAME, resolveOptions } from './options.js'
import { Recovery } from './recovery.js'
import type { ProtocolRoutes } from './route-types.js'
import './types.js'

/** What the plugin decorates as `fastify.workerProtocol`. */
export interface WorkerProtocol {
  /** Recovers the jobs of dead workers now (what the periodic recovery does); resolves to how many were lost. */
  recover(): Promise<number>
  /**
   * Listens to the runs of HTTP workers as this process's routes change them (claim, complete, fail,
   * release, recovery); returns the function that removes the listener.
   */
  on<E extends keyof WorkerProtocolEvents>(
    event: E,
    listener: (payload: WorkerProtocolEvents[E]) => void,
  ): () => void
}

/** The plugin function; `index.ts` wraps it with `fastify-plugin`. */
export async function fastifyWorkerPlugin(
  fastify: FastifyInstance,
  options: FastifyWorkerOptions,
): Promise<void> {
  const o = resolveOptions(options)
  const store = claimDecorator(fastify, {
    plugin: PLUGIN_NAME,
    decorator: o.decorator,
    storeDecorator: o.storeDecorator,
  })
  const queue = store.queue
  if (queue === undefined) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${PLUGIN_NAME}: fastify.${o.storeDecorator} has no queue port (store.queue)`,
      {
        details: { decorator: o.storeDecorator },
      },
    )
  }
  const tokens = leaseTokensOf(fastify, o.leaseSecret)
  const events = new Emitter<WorkerProtocolEvents>((err, event) =>
    fastify.log.warn({ err, event }, `${PLUGIN_NAME}: a listener of '${String(event)}' threw`),
  )
  const recovery = new Recovery({
    queue,
    store,
    intervalMs: o.recoverIntervalMs,
    maxLostRetries: o.maxLostRetries,
    onError: (err) => fastify.log.warn({ err }, `${PLUGIN_NAME}: recovering expired leases failed`),
    onLost: (job) => events.emit('lost', { record: job.lost, next: job.next }),
  })
  fastify.decorate(o.decorator, {
    recover: () => recovery.recover(),
    on: (event, listener) => events.on(event, listener),
  } satisfies WorkerProtocol)
  registerHealthCheck(fastify, healthCheckName(fastify, 'workers', o.namespace), async () => {
    const ping = await store.ping()
    const failing = recovery.lastError !== undefined
    return {
      ok: ping.ok && !failing,
      latencyMs: ping.latencyMs,
      ...(failing ? { error: `recovering expired leases fails: ${recovery.lastError?.message}` } : {}),
      details: { recovery: o.recoverIntervalMs > 0 ? (failing ? 'failing' : 'running') : 'off' },
    }
  })
  refuseLateAuth(fastify, PLUGIN_NAME)
  fastify.addHook('onReady', async () => {
    recovery.start()
  })
  fastify.addHook('onClose', async () => recovery.stop())

  await fastify.register(
    async (instance) => {
      // Its prefix is shared (the API root): unknown routes are left to the host's not-found handler.
      useRouteKit(instance, { development: o.development, notFound: false })
      const { tagged, authErrors } = routeDocs(instance, 'workers')
      const routes: ProtocolRoutes = {
        app: instance.withTypeProvider<TypeBoxTypeProvider>(),
        instance,
        tagged,
        authErrors,
        store,
        queue,
        fleet: new Fleet(queue, o.registryTtlMs),
        options: o,
        events,
        lease: {
          computations: store.computations,
          tokens,
          codec: o.codec,
          defaultNamespace: o.namespace,
          maxResultBytes: o.maxResultBytes,
        },
      }
      for (const declare of [...fleetRoutes, ...leaseRoutes]) declare(routes)
    },
    { prefix: o.prefix },
  )
}
