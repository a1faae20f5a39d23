import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MongoClient } from 'mongodb'

const here = dirname(fileURLToPath(import.meta.url))

/** `SOAK=1`: the full form (`pnpm test:soak`); otherwise the reduced form CI runs. */
export const SOAK = process.env.SOAK === '1' || process.env.SOAK === 'true'

export const fixturesDir = resolve(here, '..', 'fixtures')
export const resultsFile = resolve(here, '..', 'results', 'last-run.jsonl')

export interface Commenter {
  comment(...args: unknown[]): void
}

/** Prints the figures of one test (`t.comment`) and appends them as a JSON line to results/last-run.jsonl. */
export function report(t: Commenter, test: string, figures: Record<string, unknown>): void {
  t.comment(`${test}: ${JSON.stringify(figures)}`)
  try {
    mkdirSync(dirname(resultsFile), { recursive: true })
    appendFileSync(
      resultsFile,
      `${JSON.stringify({ test, soak: SOAK, at: new Date().toISOString(), ...figures })}\n`,
    )
  } catch {
    // the figures were printed; the results file is a convenience
  }
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `cm-rel-${prefix}-`))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface Child {
  proc: ChildProcess
  messages: Array<Record<string, unknown>>
  stdout: () => string
  stderr: () => string
  /** Resolves with the first IPC message matching `pred` (rejects after `timeoutMs`). */
  waitFor(pred: (m: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/**
 * The environment children inherit: this one minus the store selection (CI exports MONGODB_URL for the
 * MongoDB suites; the servers and fixtures here run on the store their test passes them: a SQLite file,
 * or the database of `onMongo`).
 */
export function inheritedEnv(): NodeJS.ProcessEnv {
  const { MONGODB_URL: _url, MONGODB_DB: _db, ...rest } = process.env
  return rest
}

/** MONGODB_URL (the MongoDB peer in CI): the MongoDB variants of the multi-process tests run only with it. */
export const mongoUrl = process.env.MONGODB_URL === '' ? undefined : process.env.MONGODB_URL

export interface Teardown {
  teardown(fn: () => unknown): void
  comment(...args: unknown[]): void
  plan(n: number, reason?: string): void
}

/**
 * On MongoDB: `body` gets the URL of a fresh database (`cm_rel_<random>`, the store target of the
 * fixtures), dropped when `t` ends (with any `cm_rel_<random>_…` derived from it). Without MONGODB_URL: the one `skipped: MONGODB_URL not set` line.
 */
export async function onMongo<T extends Teardown>(t: T, body: (url: string) => Promise<void>): Promise<void> {
  if (mongoUrl === undefined) {
    t.comment('skipped: MONGODB_URL not set')
    t.plan(0, 'MONGODB_URL not set')
    return
  }
  const name = `cm_rel_${randomBytes(6).toString('hex')}`
  const url = mongoUrl.replace(/^(mongodb(?:\+srv)?:\/\/[^/?]+)(\/[^?]*)?/, `$1/${name}`)
  t.teardown(async () => {
    const client = new MongoClient(mongoUrl as string, { serverSelectionTimeoutMS: 10_000 })
    try {
      // The database and any `<name>_…` a test derived from it.
      const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true })
      for (const db of databases) if (db.name.startsWith(name)) await client.db(db.name).dropDatabase()
    } finally {
      await client.close()
    }
  })
  await body(url)
}

/** Spawns `fixtures/<name>` with `process.execPath`, an IPC channel, and captured output. */
export function spawnFixture(name: string, args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, [join(fixturesDir, name), ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...inheritedEnv(), ...env },
  })
  let out = ''
  let err = ''
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d
  })
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d
  })
  const messages: Array<Record<string, unknown>> = []
  const waiters: Array<{
    pred: (m: Record<string, unknown>) => boolean
    resolve: (m: Record<string, unknown>) => void
  }> = []
  proc.on('message', (m) => {
    const msg = m as Record<string, unknown>
    messages.push(msg)
    for (const w of [...waiters]) {
      if (w.pred(msg)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(msg)
      }
    }
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    proc.on('exit', (code, signal) => res({ code, signal }))
  })
  return {
    proc,
    messages,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pred, timeoutMs = 30_000) {
      const found = messages.find(pred)
      if (found !== undefined) return Promise.resolve(found)
      return new Promise((res, rej) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(entry), 1)
          rej(new Error(`${name}: no matching message after ${timeoutMs} ms; stderr: ${err.slice(-2000)}`))
        }, timeoutMs)
        const entry = {
          pred,
          resolve: (m: Record<string, unknown>) => {
            clearTimeout(timer)
            res(m)
          },
        }
        waiters.push(entry)
        proc.once('exit', () => {
          if (waiters.includes(entry)) {
            clearTimeout(timer)
            waiters.splice(waiters.indexOf(entry), 1)
            rej(new Error(`${name} exited before the message; stderr: ${err.slice(-2000)}`))
          }
        })
      })
    },
  }
}

/** Kills a child that is still running (safety net in teardown). */
export function killIfAlive(child: Child): void {
  if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL')
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes; returns the last answer. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await sleep(everyMs)
  }
}

export const exampleMain = resolve(here, '..', '..', '..', 'examples', 'server', 'dist', 'main.js')

export interface RunningServer {
  proc: ChildProcess
  url: string
  token: string
  stdout: () => string
  stderr: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Request ids starting with `rel-` that the server logged as received (`incoming request`, LOG_LEVEL=debug). */
  received: Set<string>
}

/** Starts the example server (`node examples/server/dist/main.js`) on 127.0.0.1, port 0; resolves once it listens. */
export async function startExampleServer(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<RunningServer> {
  const proc = spawn(process.execPath, [exampleMain], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...inheritedEnv(), HOST: '127.0.0.1', PORT: '0', ...env },
  })
  let out = ''
  let err = ''
  const received = new Set<string>()
  let partial = ''
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    const lines = (partial + d).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      if (!line.includes('"rel-') || !line.includes('incoming request')) continue
      const id = /"requestId":"(rel-[^"]+)"/.exec(line)?.[1]
      if (id !== undefined) received.add(id)
    }
    // Keep the head (address, token) and a bounded tail.
    out = out.length > 200_000 ? out.slice(0, 20_000) + out.slice(-100_000) + d : out + d
  })
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-100_000)
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    proc.on('exit', (code, signal) => res({ code, signal }))
  })
  const ok = await until(() => /export TOKEN=\S+/.test(out) || proc.exitCode !== null, timeoutMs, 50)
  const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
  const token = /export TOKEN=(\S+)/.exec(out)?.[1]
  if (!ok || url === undefined || token === undefined) {
    if (proc.exitCode === null) proc.kill('SIGKILL')
    throw new Error(`the example server did not start: ${out.slice(-2000)} ${err.slice(-2000)}`)
  }
  return { proc, url, token, stdout: () => out, stderr: () => err, exited, received }
}

/** Resident set size of a process in bytes (Linux /proc), or NaN. */
export function rssOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]
    return kb === undefined ? Number.NaN : Number(kb) * 1024
  } catch {
    return Number.NaN
  }
}

export const MB = 1024 * 1024
