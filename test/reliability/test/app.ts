import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { exampleAppOptions } from '@comp-manager/example-server'
import { generateApiKey, redactPaths } from '@comp-manager/fastify-auth'
import { type BuildAppOptions, buildApp, loadConfig } from '@comp-manager/server'
import type { FastifyInstance } from 'fastify'

export interface TestApp {
  app: FastifyInstance
  /** Every route as `METHOD url` (full path, `:params` kept). */
  routes: Array<{ method: string; url: string }>
  secret: string
  /** API keys: `ops` (operator of namespace `team-a`), `viewer` (viewer of `team-a`). */
  keys: Record<'ops' | 'viewer', string>
  /** Everything the app logged (one JSON line each). */
  logs: string[]
}

/** Environment for the server (and the example server) with auth on, API keys, a high rate limit. */
export function serverEnv(dataDir: string, extra: Record<string, string> = {}) {
  const secret = randomBytes(48).toString('base64url')
  const ops = generateApiKey('ops')
  const viewer = generateApiKey('viewer')
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    COMP_MANAGER_DATA_DIR: dataDir,
    JWT_SECRET: secret,
    API_KEYS: JSON.stringify([
      { id: 'ops', hash: ops.hash, role: 'operator', namespaces: ['team-a'] },
      { id: 'viewer', hash: viewer.hash, role: 'viewer', namespaces: ['team-a'] },
    ]),
    RATE_LIMIT_MAX: '1000000',
    LOG_LEVEL: 'silent',
    ...extra,
  }
  return { env, secret, keys: { ops: ops.key, viewer: viewer.key } }
}

/** `buildApp` with the example server's demo routes, logs captured at `trace` with the documented redaction. */
export async function buildTestApp(dataDir: string, options: BuildAppOptions = {}): Promise<TestApp> {
  const { env, secret, keys } = serverEnv(dataDir)
  const config = loadConfig(env)
  const logs: string[] = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk))
      cb()
    },
  })
  const routes: Array<{ method: string; url: string }> = []
  const app = await buildApp(config, {
    ...exampleAppOptions(),
    ...options,
    logger: {
      level: 'trace',
      stream,
      redact: { paths: [...redactPaths], censor: '[redacted]' },
      // Log the request headers too (the worst case for leaking credentials).
      serializers: {
        req: (req: { method: string; url: string; headers: Record<string, unknown> }) => ({
          method: req.method,
          url: req.url,
          headers: req.headers,
        }),
      },
    },
    onRoute: (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method]
      for (const method of methods) routes.push({ method: String(method), url: route.url ?? route.path })
    },
  })
  return { app, routes, secret, keys, logs }
}
