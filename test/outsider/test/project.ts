// The outside project: the publishable packages packed as npm would publish them, installed with npm
// into a directory outside the workspace, next to the @fastify plugins a host app would have.
import { type SpawnOptions, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, relative } from 'node:path'

export const repoRoot = join(import.meta.dirname, '..', '..', '..')
const fixture = join(import.meta.dirname, '..', 'fixture')

/**
 * Where the project lives: `$CM_OUTSIDER_DIR`, else `~/.cache/comp-manager-outsider`. It is kept between
 * runs so that better-sqlite3 (compiled from source when no prebuilt binary can be fetched, ~50 s) and
 * the third-party packages are not installed again; our packages are replaced on every run.
 * `CM_OUTSIDER_FRESH=1` starts from an empty directory.
 */
export function projectDir(): string {
  const dir = process.env.CM_OUTSIDER_DIR ?? join(homedir(), '.cache', 'comp-manager-outsider')
  if (!relative(repoRoot, dir).startsWith('..'))
    throw new Error(`the outside project must be outside the repository (got ${dir})`)
  if (process.env.CM_OUTSIDER_FRESH === '1') rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  return dir
}

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a command to its end (no shell), with its output. */
export function run(cmd: string, args: readonly string[], options: SpawnOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d
    })
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** The publishable packages (not `private`), by directory. */
export function publishable(): { dir: string; name: string }[] {
  const out: { dir: string; name: string }[] = []
  for (const entry of readdirSync(join(repoRoot, 'packages'))) {
    const manifest = join(repoRoot, 'packages', entry, 'package.json')
    if (!existsSync(manifest)) continue
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; private?: boolean }
    if (!pkg.private) out.push({ dir: join(repoRoot, 'packages', entry), name: pkg.name })
  }
  return out
}

/**
 * What the host app installs of ours: the plugins it registers, the libraries they need, the client and
 * the CLI. Not the server, MongoDB's store, the testkit or codec-math: a host that did not choose them
 * must not get them (nor the `mongodb` driver) through a peer dependency. All are packed all the same.
 */
export const hostPackages: readonly string[] = [
  'cache',
  'cli',
  'client',
  'core',
  'fastify-auth',
  'fastify-cache',
  'fastify-kit',
  'fastify-store',
  'fastify-tracker',
  'fastify-worker',
  'sqlite-store',
  'tracker',
  'worker',
].map((p) => `@comp-manager/${p}`)

/** The third-party packages of the host app (the ones the issue names, and the compiler). */
export const hostDependencies: Record<string, string> = {
  '@fastify/caching': '^9.0.4',
  '@fastify/cors': '^11.4.3',
  '@fastify/sensible': '^6.0.6',
  '@fastify/swagger': '^9.9.3',
  fastify: '^5.12.8',
}
export const hostDevDependencies: Record<string, string> = {
  '@types/node': '^20.19.0',
  typescript: '~5.9.3',
}

/**
 * Writes the project's package.json (our tarballs as `file:` dependencies), its tsconfig and sources.
 * `allowScripts` is npm 11's allow-list of install scripts: better-sqlite3 compiles its addon there.
 */
export function writeProject(dir: string, tarballs: Record<string, string>): void {
  const dependencies: Record<string, string> = { ...hostDependencies }
  for (const [name, file] of Object.entries(tarballs)) dependencies[name] = `file:${file}`
  const manifest = {
    name: 'outsider-host',
    version: '1.0.0',
    private: true,
    type: 'module',
    dependencies,
    devDependencies: hostDevDependencies,
    allowScripts: { 'better-sqlite3': true },
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  rmSync(join(dir, 'src'), { recursive: true, force: true })
  rmSync(join(dir, 'dist'), { recursive: true, force: true })
  cpSync(join(fixture, 'src'), join(dir, 'src'), { recursive: true })
  cpSync(join(fixture, 'tsconfig.json'), join(dir, 'tsconfig.json'))
}
