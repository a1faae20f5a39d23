import { ApiError } from '@comp-manager/client'
import { checkUrl, configPath, DEFAULT_TIMEOUT_MS, DEFAULT_URL, type Profile } from '../config.js'
import type { Context } from '../context.js'
import { EXIT, UsageError } from '../errors.js'
import { table } from '../output.js'
import { checkProfileName, editConfig, readEditable } from '../profiles.js'
import type { CommandSpec } from '../spec.js'
import { timeoutFlag } from '../values.js'

const where =
  'Profiles live in $COMP_MANAGER_CONFIG, else $XDG_CONFIG_HOME/comp-manager/config.json, else\n' +
  '~/.config/comp-manager/config.json; the file is written with mode 0600.'

/** `--profile`, else `COMP_MANAGER_PROFILE`, else the file's default profile, else `default`. */
function profileName(ctx: Context, defaultProfile: string | undefined): string {
  const name = (ctx.values.profile as string | undefined) ?? (ctx.env.COMP_MANAGER_PROFILE || undefined)
  return checkProfileName(name ?? defaultProfile ?? 'default', ctx.command)
}

/** How a profile authenticates, without its secret. */
function authOf(profile: Profile): string {
  if (profile.apiKey) return 'API key'
  if (!profile.token) return 'none'
  if (profile.tokenExpiresAt === undefined) return 'token'
  const expired = Date.parse(profile.tokenExpiresAt) <= Date.now()
  return `token ${expired ? 'expired' : 'until'} ${profile.tokenExpiresAt}${expired ? " (run 'comp-manager login')" : ''}`
}

const add: CommandSpec<Context> = {
  name: 'profile add',
  summary: 'Add a profile (server URL and credentials), or change the settings given of one',
  description: `Takes --url, --token or --api-key, and --timeout; the first profile added becomes the\ndefault one. ${where}`,
  args: [{ name: 'name', description: "1-64 letters, digits, '.', '_' or '-'" }],
  options: { use: { type: 'boolean', description: 'Make it the default profile' } },
  examples: [
    'comp-manager profile add staging --url https://cm.staging.example.com --api-key "$CM_KEY" --use',
    'comp-manager profile add local --url http://127.0.0.1:3000',
  ],
  async run(ctx) {
    const name = checkProfileName(ctx.positionals[0]!, this.name)
    const { values } = ctx
    const url = values.url as string | undefined
    const token = values.token as string | undefined
    const apiKey = values['api-key'] as string | undefined
    if (token !== undefined && apiKey !== undefined)
      throw new UsageError('give --token or --api-key, not both', this.name)
    if (url !== undefined) checkUrl(url, 'flag')
    const timeoutMs = timeoutFlag(values.timeout as string | undefined)
    const path = configPath(ctx.env)
    const made = editConfig(path, (config) => {
      const profile: Profile = { ...config.profiles[name] }
      if (url !== undefined) profile.url = url
      if (token !== undefined || apiKey !== undefined) {
        delete profile.token
        delete profile.apiKey
        delete profile.tokenExpiresAt
      }
      if (token !== undefined) profile.token = token
      if (apiKey !== undefined) profile.apiKey = apiKey
      if (timeoutMs !== undefined) profile.timeoutMs = timeoutMs
      const isNew = config.profiles[name] === undefined
      config.profiles[name] = profile
      if (values.use || config.defaultProfile === undefined) config.defaultProfile = name
      return { isNew, active: config.defaultProfile === name }
    })
    if (ctx.json) ctx.printJson({ profile: name, created: made.isNew, default: made.active, path })
    else
      ctx.out(
        `${made.isNew ? 'added' : 'updated'} profile "${name}"${made.active ? ' (the default)' : ''} in ${path}`,
      )
    return EXIT.ok
  },
}

const list: CommandSpec<Context> = {
  name: 'profile list',
  summary: 'List the profiles: name, URL, how they authenticate (never the secrets); * marks the default',
  description: where,
  args: [],
  options: {},
  examples: ['comp-manager profile list', 'comp-manager profile list --json'],
  async run(ctx) {
    const path = configPath(ctx.env)
    const config = readEditable(path)
    const rows = Object.entries(config.profiles).map(([name, p]) => ({
      name,
      default: config.defaultProfile === name,
      url: p.url ?? DEFAULT_URL,
      auth: authOf(p),
      timeoutMs: p.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    }))
    if (ctx.json) ctx.printJson({ path, defaultProfile: config.defaultProfile ?? null, profiles: rows })
    else if (rows.length === 0)
      ctx.out(`no profiles in ${path} (add one: comp-manager profile add <name> --url …)`)
    else
      ctx.out(
        table(
          rows,
          [
            { header: '', value: (r) => (r.default ? '*' : '') },
            { header: 'PROFILE', value: (r) => r.name },
            { header: 'URL', value: (r) => r.url },
            { header: 'AUTH', value: (r) => r.auth },
          ],
          ctx.paint,
        ),
      )
    return EXIT.ok
  },
}

const use: CommandSpec<Context> = {
  name: 'profile use',
  summary: 'Make a profile the default one (flags and COMP_MANAGER_* variables still override it)',
  description: where,
  args: [{ name: 'name', description: 'A profile of the config file' }],
  options: {},
  examples: ['comp-manager profile use staging'],
  async run(ctx) {
    const name = checkProfileName(ctx.positionals[0]!, this.name)
    const path = configPath(ctx.env)
    editConfig(path, (config) => {
      if (config.profiles[name] === undefined) {
        const known = Object.keys(config.profiles)
        throw new UsageError(
          `profile "${name}" not found in ${path}${known.length ? ` (profiles: ${known.join(', ')})` : ' (there are no profiles)'}`,
          this.name,
        )
      }
      config.defaultProfile = name
    })
    if (ctx.json) ctx.printJson({ defaultProfile: name, path })
    else ctx.out(`default profile: ${name}`)
    return EXIT.ok
  },
}

const login: CommandSpec<Context> = {
  name: 'login',
  summary: "Exchange an API key for a token (the server's POST /api/v1/auth/token) and keep it in a profile",
  description:
    'The key comes from --api-key or COMP_MANAGER_API_KEY; only the token is saved (with the URL), in the\n' +
    'profile --profile or COMP_MANAGER_PROFILE names, else the default one, else "default". When the token\n' +
    `expires, log in again. ${where}`,
  args: [],
  options: {},
  examples: [
    'comp-manager login --url http://127.0.0.1:3000 --api-key cmk_dev_…',
    'COMP_MANAGER_API_KEY=cmk_ci_… comp-manager login --profile ci --url https://cm.example.com',
  ],
  async run(ctx) {
    if (ctx.values.token !== undefined) {
      throw new UsageError(
        'login exchanges an API key; to keep a token use: comp-manager profile add <name> --token …',
        this.name,
      )
    }
    const apiKey =
      (ctx.values['api-key'] as string | undefined) ?? (ctx.env.COMP_MANAGER_API_KEY || undefined)
    if (apiKey === undefined) {
      throw new UsageError(
        'login needs an API key: --api-key cmk_… or COMP_MANAGER_API_KEY (a server in development makes one with: comp-manager serve --api-key <id>)',
        this.name,
      )
    }
    const path = configPath(ctx.env)
    const before = readEditable(path)
    const name = profileName(ctx, before.defaultProfile)
    const url =
      (ctx.values.url as string | undefined) ??
      (ctx.env.COMP_MANAGER_URL || undefined) ??
      before.profiles[name]?.url ??
      DEFAULT_URL
    checkUrl(url, 'flag')
    const timeoutMs = timeoutFlag(ctx.values.timeout as string | undefined) ?? DEFAULT_TIMEOUT_MS
    const client = ctx.clientFor({ baseUrl: url, apiKey, timeoutMs })
    let issued: Awaited<ReturnType<typeof client.auth.token>>
    try {
      issued = await client.auth.token({ signal: ctx.signal })
    } catch (err) {
      if (!(err instanceof ApiError) || (err.status !== 401 && err.status !== 404)) throw err
      const why =
        err.status === 401
          ? 'the server refused the API key (CM_ERR_UNAUTHORIZED): check it, or create one with comp-manager api-key create'
          : 'this server does not exchange API keys (it has no API_KEYS, so POST /api/v1/auth/token is not served)'
      ctx.io.stderr.write(
        `${ctx.paint('red', 'login failed:')} ${why} (${url}, request id ${err.requestId ?? '-'})\n`,
      )
      return EXIT.error
    }
    const made = editConfig(path, (config) => {
      const { apiKey: _key, ...rest } = config.profiles[name] ?? {}
      config.profiles[name] = { ...rest, url, token: issued.token, tokenExpiresAt: issued.expiresAt }
      config.defaultProfile ??= name
      return { active: config.defaultProfile === name }
    })
    if (ctx.json) ctx.printJson({ profile: name, url, expiresAt: issued.expiresAt, path })
    else {
      ctx.out(`logged in to ${url}: profile "${name}", token until ${issued.expiresAt} (saved in ${path})`)
      if (!made.active)
        ctx.out(`  not the default profile: use --profile ${name}, or: comp-manager profile use ${name}`)
    }
    return EXIT.ok
  },
}

export const profileCommands = [login, add, list, use]
