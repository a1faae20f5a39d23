import type { Context } from '../context.js'
import { EXIT, UsageError } from '../errors.js'
import type { CommandSpec } from '../spec.js'
import { positiveInt } from '../values.js'

type ServerModule = typeof import('@comp-manager/server')

/**
 * `@comp-manager/server`, an optional peer of the CLI: loaded only here, so the other commands install
 * and run without the server's dependencies (Fastify plugins, SQLite).
 */
export async function loadServer(
  load: () => Promise<ServerModule> = () => import('@comp-manager/server'),
): Promise<ServerModule> {
  try {
    return await load()
  } catch (err) {
    const code = (err as { code?: unknown }).code
    const missing = code === 'ERR_MODULE_NOT_FOUND' && String(err).includes('@comp-manager/server')
    if (!missing) throw err
    throw new UsageError(
      '`comp-manager serve` needs @comp-manager/server, which is not installed: npm install @comp-manager/server',
    )
  }
}

interface TokenIssuer {
  issueToken?(
    claims: { sub: string; role: 'admin'; namespaces: string[] },
    options?: { expiresIn?: string },
  ): string
}

/** What `serve` prints about credentials: a development token, or how to get a production one. */
export function tokenHelp(app: TokenIssuer, env: string): string[] {
  if (app.issueToken === undefined) return ['  auth is off (AUTH_ENABLED=false): no token needed']
  if (env === 'development') {
    const token = app.issueToken({ sub: 'developer', role: 'admin', namespaces: ['*'] }, { expiresIn: '12h' })
    return [
      '  development token (admin, all namespaces, 12 h; never printed in production):',
      `    export COMP_MANAGER_TOKEN=${token}`,
    ]
  }
  return ['  tokens: exchange an API key (API_KEYS) at POST /api/v1/auth/token, or sign one with JWT_SECRET']
}

const serve: CommandSpec<Context> = {
  name: 'serve',
  summary: 'Start the comp-manager server (@comp-manager/server) in this process',
  description:
    'Configured from the environment as @comp-manager/server documents it (PORT, HOST, COMP_MANAGER_DATA_DIR,\n' +
    'MONGODB_URL, JWT_SECRET, API_KEYS, REDIS_URL, NODE_ENV, LOG_LEVEL…); --port and --host override PORT and HOST.\n' +
    'Stops gracefully on SIGTERM or Ctrl-C.',
  args: [],
  options: {
    port: {
      type: 'string',
      value: 'port',
      description: 'Port to listen on (0: any free port; default PORT or 3000)',
    },
    host: { type: 'string', value: 'host', description: 'Address to listen on (default HOST or 127.0.0.1)' },
    'api-key': {
      type: 'string',
      value: 'id',
      description: 'In development: create an admin API key with this id for this run, printed once',
    },
  },
  examples: [
    'comp-manager serve',
    'comp-manager serve --port 8080 --host 0.0.0.0',
    'comp-manager serve --api-key dev   # then: comp-manager login --api-key <the key printed>',
    'NODE_ENV=production JWT_SECRET_FILE=/run/secrets/jwt comp-manager serve',
  ],
  async run(ctx) {
    const env = { ...ctx.env }
    const port = ctx.values.port as string | undefined
    if (port !== undefined) {
      if (port !== '0') positiveInt(port, 'port', this.name, 65535)
      env.PORT = port
    }
    if (ctx.values.host !== undefined) env.HOST = ctx.values.host as string
    const server = await loadServer()
    const keyId = ctx.values['api-key'] as string | undefined
    let config = configOf(server, env)
    const firstKey = keyId === undefined ? undefined : addFirstKey(server, env, config, keyId)
    if (firstKey !== undefined) config = configOf(server, env)
    let started: Awaited<ReturnType<ServerModule['startServer']>>
    try {
      started = await server.startServer(config)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
      ctx.io.stderr.write(
        `comp-manager: port ${config.port} on ${config.host} is already in use: set PORT (or --port) to a free port\n`,
      )
      return EXIT.error
    }
    ctx.out(`comp-manager server listening on ${started.address}`)
    if (config.docs) ctx.out(`  API docs: ${started.address}/docs`)
    for (const line of tokenHelp(started.app, config.env)) ctx.out(line)
    if (firstKey !== undefined) {
      ctx.out(`  API key "${keyId}" (admin, all namespaces; shown once, valid while this server runs):`)
      ctx.out(`    comp-manager login --url ${started.address} --api-key ${firstKey.key}`)
      ctx.out(`  to keep it across restarts: API_KEYS='${firstKey.entry}'`)
    }
    // Runs until a signal closes the app (the server's handler then exits the process).
    await new Promise<void>((resolve) => started.app.server.once('close', () => resolve()))
    return EXIT.ok
  },
}

function configOf(server: ServerModule, env: Record<string, string | undefined>) {
  try {
    return server.loadConfig(env)
  } catch (err) {
    if (err instanceof server.ConfigError) throw new UsageError(err.message)
    throw err
  }
}

/** `serve --api-key <id>`, in development: a new admin key added to this run's `API_KEYS`. */
function addFirstKey(
  server: ServerModule,
  env: Record<string, string | undefined>,
  config: ReturnType<ServerModule['loadConfig']>,
  id: string,
): { key: string; entry: string } {
  if (config.env !== 'development') {
    throw new UsageError(
      `--api-key creates a key only in development (NODE_ENV=${config.env}): use comp-manager api-key create and API_KEYS`,
      'serve',
    )
  }
  if (config.auth === null) throw new UsageError('--api-key: auth is off (AUTH_ENABLED=false)', 'serve')
  if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) {
    throw new UsageError("--api-key <id>: the key's id must be 1 to 64 letters, digits or '-'", 'serve')
  }
  const { key, hash } = server.generateApiKey(id)
  const entry = `${id}:admin:*:${hash}`
  env.API_KEYS = env.API_KEYS ? `${env.API_KEYS},${entry}` : entry
  return { key, entry }
}

export const serveCommands = [serve]
