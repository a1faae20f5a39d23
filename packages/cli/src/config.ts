import { readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { isCompManagerError } from '@comp-manager/core/errors'
import { type Duration, DurationSchema, defineOptions } from '@comp-manager/core/options'
import { type TSchema, type TSchemaOptions, Type } from 'typebox'
import { UsageError } from './errors.js'
import { durationValue } from './values.js'

/** One named profile of the config file. */
export interface Profile {
  url?: string
  token?: string
  apiKey?: string
  /** Per-call timeout: milliseconds, or a duration such as `'30s'`. */
  timeoutMs?: Duration
  /** When `token` expires (ISO 8601), as `comp-manager login` was told. */
  tokenExpiresAt?: string
}

/** The config file: `~/.config/comp-manager/config.json` (or `$COMP_MANAGER_CONFIG`). */
export interface ConfigFile {
  /** The profile used when neither `--profile` nor `COMP_MANAGER_PROFILE` names one. */
  defaultProfile?: string
  profiles?: Record<string, Profile>
}

/** Where each setting came from, for `--debug` and error messages. */
export type Source = 'flag' | 'env' | 'profile' | 'default'

export interface ResolvedConfig {
  url: string
  token: string | undefined
  apiKey: string | undefined
  timeoutMs: number
  profile: string | undefined
  configPath: string
  sources: { url: Source; auth: Source | undefined; timeoutMs: Source }
  /** Warnings to print on stderr (loose file permissions…). */
  warnings: string[]
}

export interface ConfigFlags {
  url?: string | undefined
  token?: string | undefined
  apiKey?: string | undefined
  profile?: string | undefined
  timeoutMs?: number | undefined
}

export const DEFAULT_URL = 'http://127.0.0.1:3000'
export const DEFAULT_TIMEOUT_MS = 30_000

/** `$COMP_MANAGER_CONFIG`, else `$XDG_CONFIG_HOME/comp-manager/config.json`, else `~/.config/comp-manager/config.json`. */
export function configPath(env: Record<string, string | undefined>): string {
  if (env.COMP_MANAGER_CONFIG) return env.COMP_MANAGER_CONFIG
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config')
  return join(base, 'comp-manager', 'config.json')
}

const expected = (words: string): TSchemaOptions => ({ expected: words }) as TSchemaOptions

/** A profile: an unknown key is refused, so that a typo does not silently drop a setting. */
const ProfileSchema = Type.Object(
  {
    url: Type.Optional(Type.String()),
    token: Type.Optional(Type.String()),
    apiKey: Type.Optional(Type.String()),
    timeoutMs: Type.Optional(DurationSchema()),
    tokenExpiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  } satisfies Record<keyof Profile, TSchema>,
  { additionalProperties: false },
)

/** The file; other top-level keys (a `$schema`…) are left alone. Each profile is then checked on its own. */
const ConfigFileSchema = Type.Object({
  defaultProfile: Type.Optional(Type.String()),
  profiles: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), expected('an object of named profiles')),
  ),
} satisfies Record<keyof ConfigFile, TSchema>)

/** A profile as the run uses it: `timeoutMs` in milliseconds. */
interface ResolvedProfile extends Omit<Profile, 'timeoutMs'> {
  timeoutMs?: number
}

interface ParsedConfigFile {
  defaultProfile?: string
  /** By name, without a prototype: a profile may be called anything, `__proto__` included. */
  profiles: Record<string, ResolvedProfile>
}

/** `parse()`, with a bad file reported as the usage error it is (exit code 2). */
function usage<T>(parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    if (isCompManagerError(err, 'CM_ERR_INVALID_ARGUMENT')) throw new UsageError(err.message)
    throw err
  }
}

function parseConfigFile(path: string, json: unknown): ParsedConfigFile {
  const spec = { package: '@comp-manager/cli', what: `config file ${path}` }
  const file = usage(() => defineOptions(ConfigFileSchema, spec).parse(json))
  const profiles: Record<string, ResolvedProfile> = Object.create(null)
  for (const [name, profile] of Object.entries((json as ConfigFile).profiles ?? {})) {
    const what = `${spec.what}, profile ${JSON.stringify(name)}`
    profiles[name] = usage(() => defineOptions(ProfileSchema, { ...spec, what }).parse(profile))
  }
  return { ...(file.defaultProfile === undefined ? {} : { defaultProfile: file.defaultProfile }), profiles }
}

/**
 * The config file as JSON, checked (a profile with an unknown key, a bad duration… is a usage error
 * naming the file), or `undefined` when there is none. Unreadable or corrupt: a usage error naming it.
 */
export function readConfigJson(path: string): Record<string, unknown> | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new UsageError(`cannot read the config file ${path}: ${(err as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new UsageError(`the config file ${path} is not valid JSON: ${(err as Error).message}`)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UsageError(`the config file ${path} must hold a JSON object`)
  }
  parseConfigFile(path, json)
  return json as Record<string, unknown>
}

function readConfigFile(path: string, warnings: string[]): ParsedConfigFile | undefined {
  const json = readConfigJson(path)
  if (json === undefined) return undefined
  const file = parseConfigFile(path, json)
  const holdsSecret = Object.values(file.profiles).some((profile) => profile.token || profile.apiKey)
  if (holdsSecret && process.platform !== 'win32') {
    const mode = statSync(path).mode & 0o777
    if ((mode & 0o044) !== 0) {
      warnings.push(
        `warning: ${path} holds credentials and is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${path}`,
      )
    }
  }
  return file
}

/** The profile of the run: `--profile`, else `COMP_MANAGER_PROFILE`, else the file's `defaultProfile`. */
function selectProfile(
  flags: ConfigFlags,
  env: Record<string, string | undefined>,
  file: ParsedConfigFile | undefined,
  path: string,
): { name: string | undefined; profile: ResolvedProfile } {
  const name = flags.profile ?? (env.COMP_MANAGER_PROFILE || undefined) ?? file?.defaultProfile
  if (name === undefined) return { name, profile: {} }
  const found = file?.profiles[name]
  if (found !== undefined) return { name, profile: found }
  const known = Object.keys(file?.profiles ?? {})
  throw new UsageError(
    file === undefined
      ? `profile "${name}" not found: there is no config file at ${path}`
      : `profile "${name}" not found in ${path}${known.length ? ` (profiles: ${known.join(', ')})` : ''}`,
  )
}

/** The credentials, as one unit from the first level that has any. */
function resolveAuth(
  flags: ConfigFlags,
  env: Record<string, string | undefined>,
  profile: ResolvedProfile,
  profileName: string | undefined,
): { token: string | undefined; apiKey: string | undefined; source: Source | undefined } {
  const levels: Array<[Source, string | undefined, string | undefined]> = [
    ['flag', flags.token, flags.apiKey],
    ['env', env.COMP_MANAGER_TOKEN || undefined, env.COMP_MANAGER_API_KEY || undefined],
    ['profile', profile.token, profile.apiKey],
  ]
  for (const [source, token, apiKey] of levels) {
    if (!token && !apiKey) continue
    if (token && apiKey) {
      throw new UsageError(
        source === 'flag'
          ? 'give --token or --api-key, not both'
          : source === 'env'
            ? 'set COMP_MANAGER_TOKEN or COMP_MANAGER_API_KEY, not both'
            : `profile "${profileName}" sets both token and apiKey; keep one`,
      )
    }
    return { token, apiKey, source }
  }
  return { token: undefined, apiKey: undefined, source: undefined }
}

/** An http(s) URL of the server's root (the API paths, `/api/v1/…`, are added to it). */
export function checkUrl(url: string, source: Source): void {
  let parsed: URL
  try {
    parsed = new URL(url)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)')
  } catch {
    throw new UsageError(`the server URL must be an http(s) URL, got ${JSON.stringify(url)} (from ${source})`)
  }
  if (/\/api\/v1\/?$/.test(parsed.pathname)) {
    throw new UsageError(
      `the server URL is its root, without /api/v1 (the API paths are added to it): got ${JSON.stringify(url)} (from ${source})`,
    )
  }
}

/** The first value that is set, with where it came from. */
const pick = <T>(values: Array<[T | undefined, Source]>, fallback: [T, Source]): [T, Source] =>
  (values.find(([v]) => v !== undefined && v !== '') as [T, Source] | undefined) ?? fallback

/**
 * Resolves the settings of a run. Priority: flags > environment (`COMP_MANAGER_URL`,
 * `COMP_MANAGER_TOKEN`, `COMP_MANAGER_API_KEY`, `COMP_MANAGER_TIMEOUT_MS`) > the selected profile >
 * defaults. Credentials are taken as one unit from the first level that has any (a token from the
 * flags is not mixed with an API key from a profile).
 */
export function resolveConfig(flags: ConfigFlags, env: Record<string, string | undefined>): ResolvedConfig {
  const warnings: string[] = []
  const path = configPath(env)
  const file = readConfigFile(path, warnings)
  const { name: profileName, profile } = selectProfile(flags, env, file, path)
  const envTimeout = durationValue(env.COMP_MANAGER_TIMEOUT_MS || undefined, 'COMP_MANAGER_TIMEOUT_MS')
  const [url, urlSource] = pick<string>(
    [
      [flags.url, 'flag'],
      [env.COMP_MANAGER_URL, 'env'],
      [profile.url, 'profile'],
    ],
    [DEFAULT_URL, 'default'],
  )
  const [timeoutMs, timeoutSource] = pick<number>(
    [
      [flags.timeoutMs, 'flag'],
      [envTimeout, 'env'],
      [profile.timeoutMs, 'profile'],
    ],
    [DEFAULT_TIMEOUT_MS, 'default'],
  )
  const auth = resolveAuth(flags, env, profile, profileName)
  checkUrl(url, urlSource)
  return {
    url,
    token: auth.token,
    apiKey: auth.apiKey,
    timeoutMs,
    profile: profileName,
    configPath: path,
    sources: { url: urlSource, auth: auth.source, timeoutMs: timeoutSource },
    warnings,
  }
}
