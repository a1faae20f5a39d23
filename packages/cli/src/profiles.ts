/**
 * Writing the config file's profiles (`profile add|use`, `login`): the file is created with mode 0600
 * in a 0700 directory and replaced atomically (a temporary file renamed over it), so that a token or an
 * API key is never readable by other users, even for a moment, and a crash leaves the old file whole.
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { type ConfigFile, type Profile, readConfigJson } from './config.js'
import { UsageError } from './errors.js'

/** A profile's name: a letter or digit, then letters, digits, `.`, `_` or `-`; at most 64. */
export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** `name`, or a usage error saying what a profile name may be. */
export function checkProfileName(name: string, command: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(
      `${command}: bad profile name ${JSON.stringify(name)}: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      command,
    )
  }
  return name
}

/** The file's JSON (other keys kept as they are) with its profiles, or an empty one. */
export interface EditableConfig extends ConfigFile {
  profiles: Record<string, Profile>
  [other: string]: unknown
}

export function readEditable(path: string): EditableConfig {
  const json = readConfigJson(path) ?? {}
  const profiles = (json.profiles ?? {}) as Record<string, Profile>
  return { ...json, profiles: { ...profiles } }
}

/** Writes `config` to `path`: mode 0600, through a temporary file in the same directory. */
export function writeConfig(path: string, config: EditableConfig): void {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`)
  try {
    writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
    chmodSync(temp, 0o600) // whatever the umask
    renameSync(temp, path)
  } catch (err) {
    rmSync(temp, { force: true })
    throw new Error(`cannot write the config file ${path}: ${(err as Error).message}`, { cause: err })
  }
}

/** Reads the file, lets `change` edit it, writes it back; returns what `change` returned. */
export function editConfig<T>(path: string, change: (config: EditableConfig) => T): T {
  const config = readEditable(path)
  const result = change(config)
  writeConfig(path, config)
  return result
}
