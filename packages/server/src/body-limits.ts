import type { FastifyInstance } from 'fastify'
import { SMALL_BODY_LIMIT } from './config/index.js'

/** The one route of the composed plugins whose body can be large: `POST /api/v1/computations` (its `args`). */
const LARGE_BODY_ROUTE = /^\/api\/v1\/computations\/?$/

/** Routes of the composed plugins (host routes under `/api/v1` keep `bodyLimit`). */
const PLUGIN_ROUTE = /^\/(?:api\/v1\/(?:computations|cache|auth)(?:\/|$)|health)/

/**
 * Gives the composed plugins' routes whose bodies are a few small fields (`PUT /computations/:id`,
 * `POST /cache/invalidate`, `POST /auth/token`) at most {@link SMALL_BODY_LIMIT}: a hostile client cannot
 * make the server buffer and parse a megabyte for them. A route's own `bodyLimit` wins.
 */
export function limitSmallBodies(app: FastifyInstance, bodyLimit: number): void {
  const small = Math.min(bodyLimit, SMALL_BODY_LIMIT)
  app.addHook('onRoute', (route) => {
    if (route.bodyLimit !== undefined || !PLUGIN_ROUTE.test(route.url)) return
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (methods.includes('POST') && LARGE_BODY_ROUTE.test(route.url)) return
    route.bodyLimit = small
  })
}
