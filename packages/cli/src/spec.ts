import { type ParseArgsConfig, parseArgs } from 'node:util'
import { UsageError } from './errors.js'

/** One option of a command, as `node:util` `parseArgs` takes it, plus what `--help` prints. */
export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  /** Placeholder of the value in help (`<ms>`). */
  value?: string
  description: string
}

export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>

/** A command: `comp-manager <name> [args] [options]`. */
export interface CommandSpec<Ctx> {
  /** Words of the command: `computations list`. */
  name: string
  summary: string
  /** More text for `--help`. */
  description?: string
  /** Required positional arguments, in order. */
  args: Array<{ name: string; description: string; optional?: boolean }>
  options: Record<string, OptionSpec>
  examples: string[]
  run(ctx: Ctx): Promise<number>
}

/** Options every command accepts. */
export const globalOptions: Record<string, OptionSpec> = {
  url: {
    type: 'string',
    value: 'url',
    description: 'Server URL (env COMP_MANAGER_URL; default http://127.0.0.1:3000)',
  },
  token: { type: 'string', value: 'jwt', description: 'Bearer token (env COMP_MANAGER_TOKEN)' },
  'api-key': {
    type: 'string',
    value: 'key',
    description: 'API key, instead of a token (env COMP_MANAGER_API_KEY)',
  },
  profile: {
    type: 'string',
    short: 'p',
    value: 'name',
    description: 'Profile of the config file (env COMP_MANAGER_PROFILE)',
  },
  timeout: {
    type: 'string',
    value: 'duration',
    description: "Per-request timeout: milliseconds, or a duration such as '30s' (default 30000)",
  },
  json: { type: 'boolean', description: 'Print JSON for scripts instead of tables' },
  'no-color': { type: 'boolean', description: 'No colours (NO_COLOR=1 does the same)' },
  debug: { type: 'boolean', description: 'Print stack traces of errors' },
  help: { type: 'boolean', short: 'h', description: 'Show help' },
}

function toParseArgs(options: Record<string, OptionSpec>): NonNullable<ParseArgsConfig['options']> {
  const out: NonNullable<ParseArgsConfig['options']> = {}
  for (const [name, o] of Object.entries(options)) {
    out[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    }
  }
  return out
}

/** The words before the first option-looking argument, leniently (for finding the command). */
export function commandWords<Ctx>(args: string[], commands: ReadonlyArray<CommandSpec<Ctx>>): string[] {
  const all: Record<string, OptionSpec> = { ...globalOptions }
  for (const c of commands) Object.assign(all, c.options)
  const { positionals } = parseArgs({
    args,
    options: toParseArgs(all),
    strict: false,
    allowPositionals: true,
  })
  return positionals
}

/** Node's parseArgs messages, without the advice about `--` (rarely what a user meant). */
function cleanMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return message.split('. To specify a positional argument')[0]!.replace(/\.$/, '')
}

/** Strict parse of the arguments of one command: unknown options, missing values and extra arguments are usage errors. */
export function parseCommand<Ctx>(
  spec: CommandSpec<Ctx>,
  args: string[],
): { values: Values; positionals: string[] } {
  let parsed: { values: Values; positionals: string[] }
  try {
    parsed = parseArgs({
      args,
      options: toParseArgs({ ...globalOptions, ...spec.options }),
      strict: true,
      allowPositionals: true,
    }) as { values: Values; positionals: string[] }
  } catch (err) {
    throw new UsageError(cleanMessage(err), spec.name)
  }
  const words = spec.name.split(' ').length
  const positionals = parsed.positionals.slice(words)
  if (parsed.values.help) return { values: parsed.values, positionals }
  const required = spec.args.filter((a) => !a.optional).length
  if (positionals.length < required) {
    throw new UsageError(`missing argument <${spec.args[positionals.length]!.name}>`, spec.name)
  }
  if (positionals.length > spec.args.length) {
    throw new UsageError(`unexpected argument "${positionals[spec.args.length]}"`, spec.name)
  }
  return { values: parsed.values, positionals }
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const left = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` <${o.value ?? 'value'}>` : ''}`
    return [flag, o.description] as const
  })
  const width = Math.max(...left.map(([f]) => f.length))
  return left.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`)
}

/** `--help` of one command. */
export function commandHelp<Ctx>(spec: CommandSpec<Ctx>): string {
  const args = spec.args.map((a) => (a.optional ? ` [${a.name}]` : ` <${a.name}>`)).join('')
  const lines = [`Usage: comp-manager ${spec.name}${args} [options]`, '', spec.summary]
  if (spec.description) lines.push('', spec.description)
  if (spec.args.length > 0) {
    lines.push('', 'Arguments:')
    const width = Math.max(...spec.args.map((a) => a.name.length + 2))
    for (const a of spec.args) lines.push(`  ${`<${a.name}>`.padEnd(width)}  ${a.description}`)
  }
  if (Object.keys(spec.options).length > 0) lines.push('', 'Options:', ...optionLines(spec.options))
  lines.push('', 'Global options:', ...optionLines(globalOptions))
  if (spec.examples.length > 0) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`))
  return `${lines.join('\n')}\n`
}

/** `--help` of a group (`comp-manager computations --help`) or of the whole program. */
export function listHelp<Ctx>(
  title: string,
  usage: string,
  commands: ReadonlyArray<CommandSpec<Ctx>>,
  footer: string[],
): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  const lines = [
    `Usage: ${usage}`,
    '',
    title,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    ...optionLines(globalOptions),
    ...footer,
  ]
  return `${lines.join('\n')}\n`
}

/** The closest name (edit distance ≤ 2), for "did you mean …?". */
export function closest(word: string, names: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const name of names) {
    const d = distance(word, name)
    if (d < bestDistance) {
      best = name
      bestDistance = d
    }
  }
  return best
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]!
}
