/** Starts the example server (its built `dist/main.js`) as a child process on a temp SQLite file. */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const MAIN = fileURLToPath(new URL('../../../../examples/server/dist/main.js', import.meta.url))

export interface ApiKey {
  key: string
  role: string
  namespaces: string[]
}

export interface RunningServer {
  url: string
  /** The development token it printed (admin, every namespace). */
  adminToken: string
  keys: Record<'operator' | 'viewer' | 'viewerA', ApiKey>
  child: ChildProcess
  /** Its port, data directory and JWT secret: a restart reuses them (the same database, the same tokens). */
  port: number
  dir: string
  secret: string
  /** Stops it; the data directory is removed unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>
}

export interface ServerOptions {
  port?: number
  dir?: string
  secret?: string
  keys?: RunningServer['keys']
}

function apiKey(id: string, role: string, namespaces: string[]): ApiKey {
  return { key: `cmk_${id}_${randomBytes(18).toString('base64url')}`, role, namespaces }
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'cm-dashboard-'))
  const secret = options.secret ?? randomBytes(32).toString('hex')
  const keys = options.keys ?? {
    operator: apiKey('op', 'operator', ['*']),
    viewer: apiKey('view', 'viewer', ['*']),
    viewerA: apiKey('view-a', 'viewer', ['team-a']),
  }
  const API_KEYS = Object.entries(keys)
    .map(([, k]) => {
      const id = /^cmk_([A-Za-z0-9-]+)_/.exec(k.key)?.[1]
      return `${id}:${k.role}:${k.namespaces.join('|')}:${createHash('sha256').update(k.key).digest('hex')}`
    })
    .join(',')
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: String(options.port ?? 0),
      HOST: '127.0.0.1',
      NODE_ENV: 'development',
      COMP_MANAGER_DATA_DIR: dir,
      JWT_SECRET: secret,
      API_KEYS,
      DEMO_WORKER: 'off',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '100000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stderr?.on('data', (d) => {
    err += String(d)
  })
  const started = await new Promise<{ url: string; token: string }>((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      out += String(d)
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      const token = /export TOKEN=(\S+)/.exec(out)?.[1]
      if (url !== undefined && token !== undefined) resolve({ url, token })
    })
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${out}\n${err}`)))
  })
  return {
    url: started.url,
    adminToken: started.token,
    keys,
    child,
    port: Number(new URL(started.url).port),
    dir,
    secret,
    async stop({ keepData = false } = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      if (!keepData) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The same server again: same port, same data directory, same secret and keys. */
export function restartServer(server: RunningServer): Promise<RunningServer> {
  return startServer({ port: server.port, dir: server.dir, secret: server.secret, keys: server.keys })
}

/** A token like `model` (same header and claims) that expires in `seconds`, signed with the server's secret. */
export function shortLivedToken(server: RunningServer, model: string, seconds: number): string {
  const [header, payload] = model.split('.')
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >
  const now = Math.floor(Date.now() / 1000)
  const body = Buffer.from(JSON.stringify({ ...claims, iat: now, exp: now + seconds })).toString('base64url')
  const alg = (JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')) as { alg: string }).alg
  if (alg !== 'HS256') throw new Error(`shortLivedToken: the server signs with ${alg}, not HS256`)
  const signature = createHmac('sha256', server.secret).update(`${header}.${body}`).digest('base64url')
  return `${header}.${body}.${signature}`
}

/** A JSON call to the server (the test's own requests: a worker, crafted requests). */
export async function call(
  server: RunningServer,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers of many routes, read field by field by the tests
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? null : JSON.parse(text) }
}
