import { readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { UsageError } from './errors.js'

/** One named profile of the config file. */
export interface Profile {
  url?: string
  token?: string
  apiKey?: string
  /** Per-call timeout in milliseconds. */
  timeoutMs?: number
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

const profileKeys = new Set(['url', 'token', 'apiKey', 'timeoutMs'])

function readConfigFile(path: string, warnings: string[]): ConfigFile | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new UsageError(`cannot read the config file ${path}: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new UsageError(`the config file ${path} is not valid JSON: ${(err as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`the config file ${path} must hold a JSON object`)
  }
  const file = parsed as ConfigFile
  if (file.profiles !== undefined && (typeof file.profiles !== 'object' || file.profiles === null)) {
    throw new UsageError(`the config file ${path}: "profiles" must be an object of named profiles`)
  }
  let holdsSecret = false
  for (const [name, profile] of Object.entries(file.profiles ?? {})) {
    if (typeof profile !== 'object' || profile === null) {
      throw new UsageError(`the config file ${path}: profile "${name}" must be an object`)
    }
    for (const [key, value] of Object.entries(profile)) {
      if (!profileKeys.has(key)) {
        throw new UsageError(
          `the config file ${path}: profile "${name}" has an unknown key "${key}" (known: ${[...profileKeys].join(', ')})`,
        )
      }
      if (key === 'timeoutMs' ? typeof value !== 'number' || value <= 0 : typeof value !== 'string') {
        throw new UsageError(
          `the config file ${path}: profile "${name}".${key} must be ${key === 'timeoutMs' ? 'a positive number' : 'a string'}`,
        )
      }
    }
    if (profile.token || profile.apiKey) holdsSecret = true
  }
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
  const profileName = flags.profile ?? (env.COMP_MANAGER_PROFILE || undefined) ?? file?.defaultProfile
  let profile: Profile = {}
  if (profileName !== undefined) {
    const found = file?.profiles?.[profileName]
    if (found === undefined || !Object.hasOwn(file?.profiles ?? {}, profileName)) {
      const known = Object.keys(file?.profiles ?? {})
      throw new UsageError(
        file === undefined
          ? `profile "${profileName}" not found: there is no config file at ${path}`
          : `profile "${profileName}" not found in ${path}${known.length ? ` (profiles: ${known.join(', ')})` : ''}`,
      )
    }
    profile = found
  }

  const envTimeout = env.COMP_MANAGER_TIMEOUT_MS ? Number(env.COMP_MANAGER_TIMEOUT_MS) : undefined
  if (envTimeout !== undefined && !(envTimeout > 0)) {
    throw new UsageError(`COMP_MANAGER_TIMEOUT_MS must be a positive number of milliseconds`)
  }

  const pick = <T>(values: Array<[T | undefined, Source]>, fallback: [T, Source]): [T, Source] =>
    (values.find(([v]) => v !== undefined && v !== '') as [T, Source] | undefined) ?? fallback

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

  const levels: Array<[Source, string | undefined, string | undefined]> = [
    ['flag', flags.token, flags.apiKey],
    ['env', env.COMP_MANAGER_TOKEN || undefined, env.COMP_MANAGER_API_KEY || undefined],
    ['profile', profile.token, profile.apiKey],
  ]
  let token: string | undefined
  let apiKey: string | undefined
  let authSource: Source | undefined
  for (const [source, t, k] of levels) {
    if (!t && !k) continue
    if (t && k) {
      throw new UsageError(
        source === 'flag'
          ? 'give --token or --api-key, not both'
          : source === 'env'
            ? 'set COMP_MANAGER_TOKEN or COMP_MANAGER_API_KEY, not both'
            : `profile "${profileName}" sets both token and apiKey; keep one`,
      )
    }
    token = t
    apiKey = k
    authSource = source
    break
  }

  try {
    const parsed = new URL(url)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)')
  } catch {
    throw new UsageError(
      `the server URL must be an http(s) URL, got ${JSON.stringify(url)} (from ${urlSource})`,
    )
  }

  return {
    url,
    token,
    apiKey,
    timeoutMs,
    profile: profileName,
    configPath: path,
    sources: { url: urlSource, auth: authSource, timeoutMs: timeoutSource },
    warnings,
  }
}
