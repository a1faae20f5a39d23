import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'

export interface BuildServerOptions {
  /** Fastify's logger option; default: off (the CLI entry turns it on). */
  logger?: FastifyServerOptions['logger']
}

/**
 * The example server. For now: a Fastify app answering `GET /health`; the comp-manager plugins
 * (store, tracker, cache, auth) are registered here as they land.
 */
export async function buildServer(options: BuildServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false })
  app.get(
    '/health',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: { status: { type: 'string', const: 'ok' } },
            required: ['status'],
          },
        },
      },
    },
    async () => ({ status: 'ok' as const }),
  )
  await app.ready()
  return app
}
