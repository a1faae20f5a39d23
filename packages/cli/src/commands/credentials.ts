import { MemoryStore } from '@comp-manager/core'
import type { Context } from '../context.js'
import { EXIT, UsageError } from '../errors.js'
import type { CommandSpec } from '../spec.js'
import { loadServer } from './serve.js'

const ROLES = ['viewer', 'worker', 'operator', 'admin'] as const
type Role = (typeof ROLES)[number]

function roleOf(value: unknown, command: string): Role {
  const role = (value ?? 'viewer') as Role
  if (!ROLES.includes(role)) throw new UsageError(`${command}: --role must be one of ${ROLES.join(', ')}`)
  return role
}

function namespacesOf(value: unknown): string[] {
  return String(value ?? '*')
    .split('|')
    .filter(Boolean)
}

const credentialOptions = {
  role: { type: 'string', value: 'role', description: 'viewer (default), operator or admin' },
  namespaces: {
    type: 'string',
    value: 'ns1|ns2',
    description: "Namespaces it may touch, separated by | (default '*': every one)",
  },
} as const

const tokenCreate: CommandSpec<Context> = {
  name: 'token create',
  summary: "Sign a token with the server's JWT_SECRET (for operators, on the server's machine)",
  description:
    'Reads the server configuration from the environment (JWT_SECRET or JWT_SECRET_FILE, JWT_ISSUER,\n' +
    'JWT_AUDIENCE…) as `serve` does, and prints a token that server accepts. Needs @comp-manager/server.',
  args: [],
  options: {
    ...credentialOptions,
    subject: { type: 'string', value: 'name', description: "The token's subject (default 'operator')" },
    'expires-in': { type: 'string', value: 'duration', description: "Lifetime: seconds or '15m', '12h'…" },
  },
  examples: [
    'JWT_SECRET_FILE=/run/secrets/jwt comp-manager token create --role operator --namespaces billing',
  ],
  async run(ctx) {
    const role = roleOf(ctx.values.role, this.name)
    const server = await loadServer()
    let config: ReturnType<typeof server.loadConfig>
    try {
      config = server.loadConfig({ ...ctx.env, LOG_LEVEL: 'silent' })
    } catch (err) {
      if (err instanceof server.ConfigError) throw new UsageError(err.message)
      throw err
    }
    if (config.auth === null) throw new UsageError(`${this.name}: auth is off (AUTH_ENABLED=false)`)
    // The app signs as the server does (secret, issuer, audience, claim names); it never listens.
    const app = await server.buildApp(config, { store: new MemoryStore(), logger: false })
    try {
      const expiresIn = ctx.values['expires-in'] as string | undefined
      const claims = {
        sub: (ctx.values.subject as string | undefined) ?? 'operator',
        role,
        namespaces: namespacesOf(ctx.values.namespaces),
      }
      const token = app.issueToken(claims, expiresIn === undefined ? undefined : { expiresIn })
      if (ctx.json) ctx.printJson({ token })
      else ctx.out(token)
    } finally {
      await app.close()
    }
    return EXIT.ok
  },
}

const apiKeyCreate: CommandSpec<Context> = {
  name: 'api-key create',
  summary: 'Generate an API key: prints the key once, and the API_KEYS entry (its hash) for the server',
  description:
    'The key is shown only now: give it to the service that uses it. The server stores only its SHA-256\n' +
    '(add the entry to API_KEYS). Needs @comp-manager/server.',
  args: [{ name: 'id', description: "The key's id: 1-64 letters, digits or '-'" }],
  options: { ...credentialOptions },
  examples: ['comp-manager api-key create billing-worker --role operator --namespaces billing'],
  async run(ctx) {
    const role = roleOf(ctx.values.role, this.name)
    const id = ctx.positionals[0]!
    if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) {
      throw new UsageError(`${this.name}: <id> must be 1 to 64 letters, digits or '-'`)
    }
    const server = await loadServer()
    const { key, hash } = server.generateApiKey(id)
    const entry = `${id}:${role}:${namespacesOf(ctx.values.namespaces).join('|')}:${hash}`
    if (ctx.json) ctx.printJson({ id, key, hash, entry })
    else ctx.out(`key (shown once): ${key}\nAPI_KEYS entry:   ${entry}`)
    return EXIT.ok
  },
}

export const credentialCommands = [tokenCreate, apiKeyCreate]
