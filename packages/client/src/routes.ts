/**
 * The API paths the hand-written layer calls, exactly as the generated `paths` spell them: when the
 * server moves a route, regenerating makes these fail to type-check here, in one place.
 */
export const routes = {
  computations: '/api/v1/computations',
  computation: '/api/v1/computations/{id}',
  events: '/api/v1/computations/{id}/events',
  cache: '/api/v1/cache',
  cacheEntry: '/api/v1/cache/{key}',
  cacheStats: '/api/v1/cache/stats',
  cacheInvalidate: '/api/v1/cache/invalidate',
  authToken: '/api/v1/auth/token',
  health: '/health',
  healthDetailed: '/health/detailed',
} as const
