import { securitySchemes } from '@comp-manager/fastify-auth'
import { errorResponse } from '@comp-manager/fastify-kit'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify'
import type { ServerConfig } from './config.js'
import { swaggerUiCsp } from './docs-csp.js'

/** Where the Swagger UI is served; the OpenAPI document is at `<DOCS_PREFIX>/json` (and `/yaml`). */
export const DOCS_PREFIX = '/docs'

/** A tag of the OpenAPI document. */
export interface DocTag {
  name: string
  description: string
}

/** The tags of the server's own routes and of the plugins it composes. */
export const defaultTags: DocTag[] = [
  { name: 'health', description: 'Liveness and the checks of every plugin (store, Redis…)' },
  { name: 'auth', description: 'Exchange an API key for a short-lived token' },
  {
    name: 'computations',
    description: 'Tracked runs: list, create, read, update through the state machine, delete, live events',
  },
  {
    name: 'workers',
    description:
      'The worker protocol (claim, heartbeat, complete, fail, release with lease tokens) and the fleet',
  },
  { name: 'cache', description: 'Memoized results: inspect, drop, invalidate, statistics' },
  {
    name: 'webhooks',
    description: 'Subscriptions of URLs to events, signed deliveries (Standard Webhooks), delivery logs',
  },
  {
    name: 'events',
    description: 'The event log of the whole fleet (every process sharing the store), resumable by event id',
  },
]

export interface DocsOptions {
  version: string
  tags: DocTag[]
}

const API_DESCRIPTION = `The REST API of comp-manager: tracked computations and their memoized results.

- Routes live under \`/api/v1\`; \`/health\`, \`/health/detailed\` and \`/docs\` at the root.
- Authenticate with \`Authorization: Bearer <token>\`, a JWT or an API key \`cmk_…\` (\`x-api-key: cmk_…\` works too; exchange a key for a token at
  \`POST /api/v1/auth/token\`). Roles: viewer (read) < worker (the worker protocol) < operator (write) < admin (delete, every namespace).
- Every error has one body: \`{ statusCode, code, error, message, requestId, details? }\`; \`code\` is a stable
  \`CM_ERR_…\` code. \`x-request-id\` is echoed on every response (send your own to correlate logs).
- Rate limits answer 429 \`CM_ERR_RATE_LIMITED\` with \`retry-after\` (seconds).`

interface DocumentedRoute {
  /** Undefined at run time for a route declared without one (the types say otherwise). */
  schema: FastifySchema
  url: string
  route: RouteOptions
}

/**
 * How a route appears in the document: without the trailing slash of a prefix's root route
 * (`/api/v1/computations/` is served as `/api/v1/computations` too), and with the 429 of the rate
 * limit, which every route gets unless its `config.rateLimit` is `false`.
 */
export function documentRoute({ schema, url, route }: DocumentedRoute): {
  schema: FastifySchema
  url: string
} {
  const path = url.length > 1 ? url.replace(/\/$/, '') : url
  const limited = (route.config as { rateLimit?: unknown } | undefined)?.rateLimit !== false
  const response = (schema as FastifySchema | undefined)?.response as Record<string, unknown> | undefined
  if (response === undefined || !limited) return { schema, url: path }
  return { schema: { ...schema, response: { ...response, 429: errorResponse(429) } }, url: path }
}

/**
 * Registers `@fastify/swagger` (OpenAPI 3.1: TypeBox schemas are JSON Schema 2020-12, which 3.1 takes as
 * is) and, when `config.docs` is on, `@fastify/swagger-ui` at `/docs` with `/docs/json` and `/docs/yaml`.
 * Must be registered before the routes. With auth on, every operation requires `bearerAuth` or
 * `apiKeyAuth` unless it says otherwise (the health routes declare `security: []`).
 */
export async function registerDocs(fastify: FastifyInstance, config: ServerConfig, options: DocsOptions) {
  const auth = config.auth !== null
  await fastify.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'comp-manager API',
        version: options.version,
        description: API_DESCRIPTION,
        license: { name: 'MIT', identifier: 'MIT' },
      },
      // Relative: the document is served by the API it describes, whatever its host or proxy path.
      servers: [{ url: '/', description: 'The server that serves this document' }],
      tags: options.tags,
      components: auth ? { securitySchemes: structuredClone(securitySchemes) as never } : {},
      ...(auth ? { security: [{ bearerAuth: [] }, { apiKeyAuth: [] }] } : {}),
    },
    transform: documentRoute,
    // Named schemas (a TypeBox `$id`) become `#/components/schemas/<$id>`.
    refResolver: {
      buildLocalReference(json, _baseUri, _fragment, i) {
        return typeof json.$id === 'string' && json.$id !== '' ? json.$id : `def-${i}`
      },
    },
  })
  if (!config.docs) return
  const development = config.env !== 'production'
  await fastify.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { docExpansion: 'list', deepLinking: true, persistAuthorization: development },
    // The UI's own CSP replaces helmet's (`default-src 'none'`) on its routes (see docs-csp.ts).
    staticCSP: swaggerUiCsp({ production: config.env === 'production' }),
  })
}
