import { readFileSync } from 'node:fs'
import { AbortError, ApiError, NetworkError, TimeoutError } from '@comp-manager/client'
import { cacheCommands } from './commands/cache.js'
import { computationCommands } from './commands/computations.js'
import { credentialCommands } from './commands/credentials.js'
import { eventCommands } from './commands/events.js'
import { healthCommands } from './commands/health.js'
import { jobCommands } from './commands/jobs.js'
import { profileCommands } from './commands/profile.js'
import { serveCommands } from './commands/serve.js'
import { type Context, createContext } from './context.js'
import { EXIT, UsageError } from './errors.js'
import { type Io, painter, type Writable, wantsColor } from './output.js'
import {
  type CommandSpec,
  closest,
  commandHelp,
  commandWords,
  listHelp,
  parseCommand,
  type Values,
} from './spec.js'

export const commands: ReadonlyArray<CommandSpec<Context>> = [
  ...computationCommands,
  ...jobCommands,
  ...cacheCommands,
  ...eventCommands,
  ...healthCommands,
  ...serveCommands,
  ...credentialCommands,
  ...profileCommands,
]

const groups = [...new Set(commands.map((c) => c.name.split(' ')[0]!))]

export const version: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version

const footer = [
  '',
  'Configuration: flags > environment (COMP_MANAGER_URL, COMP_MANAGER_TOKEN, COMP_MANAGER_API_KEY,',
  'COMP_MANAGER_PROFILE) > the profile in ~/.config/comp-manager/config.json (or $XDG_CONFIG_HOME, $COMP_MANAGER_CONFIG)',
  "> defaults. Write profiles with 'comp-manager login' and 'comp-manager profile add|use'.",
  '',
  'Exit codes: 0 ok · 1 error (the server refused, could not be reached, or a check failed) · 2 usage · 130 interrupted.',
  '',
  "Run 'comp-manager <command> --help' for the options of a command.",
]

function programHelp(): string {
  return listHelp(
    'Inspect and manage comp-manager computations, jobs, workers and caches over its REST API.',
    'comp-manager <command> [options]',
    commands,
    footer,
  )
}

function groupHelp(group: string): string {
  return listHelp(
    `Commands of "${group}".`,
    `comp-manager ${group} <command> [options]`,
    commands.filter((c) => c.name.startsWith(`${group} `)),
    ['', `Run 'comp-manager ${group} <command> --help' for the options of a command.`],
  )
}

export interface MainOptions {
  env?: Record<string, string | undefined>
  stdout?: Writable & { isTTY?: boolean }
  stderr?: Writable
  /** Aborts the running command (the bin wires Ctrl-C to it). */
  signal?: AbortSignal
  /** A `fetch` for the client (tests). */
  fetch?: (input: Request) => Promise<Response>
}

/** Finds the command of `args`, or throws a usage error naming what is wrong. Returns `undefined` for help. */
function findCommand(args: string[], wantsHelp: boolean): { spec?: CommandSpec<Context>; help?: string } {
  const words = commandWords(args, commands)
  if (words[0] === 'help') {
    const rest = words.slice(1)
    if (rest.length === 0) return { help: programHelp() }
    const found = findCommand(rest, true)
    return found.spec ? { help: commandHelp(found.spec) } : found
  }
  const group = words[0]
  if (group === undefined) {
    if (wantsHelp) return { help: programHelp() }
    throw new UsageError('missing command')
  }
  if (!groups.includes(group)) {
    const guess = closest(group, groups)
    throw new UsageError(`unknown command "${group}"${guess ? ` (did you mean "${guess}"?)` : ''}`)
  }
  const single = commands.find((c) => c.name === group)
  if (single) return { spec: single }
  const sub = words[1]
  const names = commands.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name.split(' ')[1]!)
  if (sub === undefined) {
    if (wantsHelp) return { help: groupHelp(group) }
    throw new UsageError(`missing subcommand: comp-manager ${group} ${names.join('|')}`, group)
  }
  const spec = commands.find((c) => c.name === `${group} ${sub}`)
  if (!spec) {
    const guess = closest(sub, names)
    throw new UsageError(
      `unknown command "${group} ${sub}"${guess ? ` (did you mean "${group} ${guess}"?)` : ` (commands: ${names.join(', ')})`}`,
      group,
    )
  }
  return { spec }
}

/**
 * Runs `comp-manager` with `args` (without `node` and the script) and resolves with the exit code.
 * Never throws: errors are printed (code, message, request id; the stack only with `--debug`).
 */
export async function main(args: string[], options: MainOptions = {}): Promise<number> {
  const env = options.env ?? process.env
  const stdout = options.stdout ?? process.stdout
  const stderr = options.stderr ?? process.stderr
  const isTty = Boolean((stdout as { isTTY?: boolean }).isTTY)
  const json = args.includes('--json')
  const debug = args.includes('--debug')
  const color = wantsColor(env, isTty, args.includes('--no-color') ? false : undefined)
  const errPaint = painter(
    wantsColor(
      env,
      Boolean((stderr as { isTTY?: boolean }).isTTY),
      args.includes('--no-color') ? false : undefined,
    ),
  )
  const io: Io = { stdout, stderr, isTty, color }

  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    stdout.write(`${version}\n`)
    return EXIT.ok
  }

  let command: string | undefined
  try {
    const wantsHelp = args.includes('--help') || args.includes('-h')
    const found = findCommand(args, wantsHelp)
    if (found.help !== undefined) {
      stdout.write(found.help)
      return EXIT.ok
    }
    const spec = found.spec!
    command = spec.name
    const { values, positionals } = parseCommand(spec, args)
    if (values.help) {
      stdout.write(commandHelp(spec))
      return EXIT.ok
    }
    const ctx = createContext({
      command: spec.name,
      values: values as Values,
      positionals,
      io,
      env,
      signal: options.signal ?? new AbortController().signal,
      fetch: options.fetch,
    })
    return await spec.run.call(spec, ctx)
  } catch (err) {
    return report(err, {
      stderr,
      paint: errPaint,
      json,
      debug,
      command: (err as UsageError).command ?? command,
    })
  }
}

interface ReportOptions {
  stderr: Writable
  paint: ReturnType<typeof painter>
  json: boolean
  debug: boolean
  command: string | undefined
}

/** Prints an error the way the CLI promises (never a stack trace without `--debug`) and returns its exit code. */
function report(err: unknown, o: ReportOptions): number {
  const { stderr, paint } = o
  const write = (text: string) => stderr.write(`${text}\n`)
  if (err instanceof UsageError) {
    if (o.json) write(JSON.stringify({ error: { code: 'USAGE', message: err.message } }))
    else {
      write(`${paint('red', 'comp-manager:')} ${err.message}`)
      write(`Run 'comp-manager ${err.command ? `${err.command} ` : ''}--help' for usage.`)
    }
    return EXIT.usage
  }
  const exit = err instanceof AbortError ? EXIT.interrupted : EXIT.error
  if (o.json) {
    const e = err as Partial<ApiError> & Error
    write(
      JSON.stringify({
        error: {
          code: err instanceof ApiError ? err.code : (e?.name ?? 'Error'),
          message: e?.message ?? String(err),
          ...(err instanceof ApiError ? { status: err.status, requestId: err.requestId ?? null } : {}),
          ...(err instanceof ApiError && err.details !== undefined ? { details: err.details } : {}),
        },
      }),
    )
  } else if (err instanceof ApiError) {
    write(`${paint('red', 'error:')} ${err.message}`)
    const parts = [
      `code ${paint('bold', err.code)}`,
      `HTTP ${err.status}`,
      `request id ${err.requestId ?? '-'}`,
    ]
    write(`  ${parts.join(' · ')}`)
    const issues = (err.details as { issues?: Array<{ path: string; message: string }> } | undefined)?.issues
    if (Array.isArray(issues)) for (const i of issues.slice(0, 10)) write(`  - ${i.path}: ${i.message}`)
    if (err.status === 401)
      write('  Give credentials with --token or --api-key, COMP_MANAGER_TOKEN, or a profile.')
    if (err.status === 403) write('  Your credentials are valid but their role does not allow this.')
  } else if (err instanceof NetworkError) {
    write(`${paint('red', 'error:')} ${err.message}`)
    write('  Is the server running at that URL? Set it with --url, COMP_MANAGER_URL or a profile.')
  } else if (err instanceof TimeoutError) {
    write(`${paint('red', 'error:')} ${err.message} (raise it with --timeout)`)
  } else if (err instanceof AbortError) {
    write('interrupted')
  } else {
    const message = err instanceof Error ? err.message : String(err)
    write(`${paint('red', 'error:')} ${message}`)
    if (!o.debug) write('  (run again with --debug for details)')
  }
  if (o.debug && err instanceof Error && err.stack) write(paint('dim', err.stack))
  return exit
}
