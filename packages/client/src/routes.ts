/**
 * The API paths the hand-written layer calls, exactly as the generated `paths` spell them: when the
 * server moves a route, regenerating makes these fail to type-check here, in one place.
 */
export const routes = {
  computations: '/api/v1/computations',
  computation: '/api/v1/computations/{id}',
  computationStats: '/api/v1/computations/stats',
  events: '/api/v1/computations/{id}/events',
  cancel: '/api/v1/computations/{id}/cancel',
  pause: '/api/v1/computations/{id}/pause',
  resume: '/api/v1/computations/{id}/resume',
  retry: '/api/v1/computations/{id}/retry',
  result: '/api/v1/computations/{id}/result',
  workers: '/api/v1/workers',
  claim: '/api/v1/workers/claim',
  heartbeat: '/api/v1/computations/{id}/heartbeat',
  complete: '/api/v1/computations/{id}/complete',
  fail: '/api/v1/computations/{id}/fail',
  release: '/api/v1/computations/{id}/release',
  fleetEvents: '/api/v1/events',
  cache: '/api/v1/cache',
  cacheEntry: '/api/v1/cache/{key}',
  cacheStats: '/api/v1/cache/stats',
  cacheInvalidate: '/api/v1/cache/invalidate',
  authToken: '/api/v1/auth/token',
  health: '/health',
  healthDetailed: '/health/detailed',
} as const
