import { type ClientOptions, type CompManagerClient, createClient } from '@comp-manager/client'
import { type ResolvedConfig, resolveConfig } from './config.js'
import { type Io, type Painter, painter, toJson } from './output.js'
import type { Values } from './spec.js'
import { timeoutFlag } from './values.js'

/** What a command runs with. */
export interface Context {
  /** The command's name (`computations list`). */
  command: string
  values: Values
  positionals: string[]
  io: Io
  paint: Painter
  env: Record<string, string | undefined>
  json: boolean
  debug: boolean
  /** Aborted on Ctrl-C. */
  signal: AbortSignal
  /** The resolved settings (flags > env > profile > defaults); read lazily, so `serve` needs no URL. */
  config(): ResolvedConfig
  /** A client for the resolved settings. */
  client(): CompManagerClient
  /** A client for other settings (`login`: before the profile exists), with the run's `fetch`. */
  clientFor(options: Omit<ClientOptions, 'fetch'>): CompManagerClient
  /** Writes a line (or lines) to stdout. */
  out(text: string): void
  /** Prints `value` as JSON on stdout (`--json`). */
  printJson(value: unknown): void
}

export interface ContextInit {
  command: string
  values: Values
  positionals: string[]
  io: Io
  env: Record<string, string | undefined>
  signal: AbortSignal
  /** Injected `fetch` (tests); the global one otherwise. */
  fetch?: ((input: Request) => Promise<Response>) | undefined
}

export function createContext(init: ContextInit): Context {
  const { values, io, env } = init
  let config: ResolvedConfig | undefined
  let client: CompManagerClient | undefined
  const ctx: Context = {
    command: init.command,
    values,
    positionals: init.positionals,
    io,
    paint: painter(io.color),
    env,
    json: values.json === true,
    debug: values.debug === true,
    signal: init.signal,
    config() {
      if (config === undefined) {
        config = resolveConfig(
          {
            url: values.url as string | undefined,
            token: values.token as string | undefined,
            apiKey: values['api-key'] as string | undefined,
            profile: values.profile as string | undefined,
            timeoutMs: timeoutFlag(values.timeout as string | undefined),
          },
          env,
        )
        for (const warning of config.warnings) io.stderr.write(`${ctx.paint('yellow', warning)}\n`)
      }
      return config
    },
    client() {
      if (client === undefined) {
        const c = ctx.config()
        client = createClient({
          baseUrl: c.url,
          token: c.token,
          apiKey: c.apiKey,
          timeoutMs: c.timeoutMs,
          fetch: init.fetch,
        })
      }
      return client
    },
    clientFor(options) {
      return createClient({ ...options, fetch: init.fetch })
    },
    out(text) {
      io.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
    },
    printJson(value) {
      io.stdout.write(`${toJson(value)}\n`)
    },
  }
  return ctx
}
