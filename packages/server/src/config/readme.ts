import type { TObject } from 'typebox'
import { expectedOf } from './env-reader.js'
import { type EnvAnnotations, FALSE_WORDS, TRUE_WORDS } from './env-schema.js'
import { ServerEnvSchema } from './schema.js'

/**
 * The configuration table of the README, rendered from {@link ServerEnvSchema} (one row per variable)
 * between two markers, so that the docs cannot drift from the schema: `scripts/generate-config-docs.mjs`
 * writes it (`--check` in CI), and a test compares it.
 */

export const TABLE_START =
  '<!-- config-table: generated from ServerEnvSchema (src/config/) by `node scripts/generate-config-docs.mjs`; do not edit -->'
export const TABLE_END = '<!-- /config-table -->'

/** GitHub's anchor of a heading: `` `HOST`, `PORT` `` → `host-port`. */
const anchorOf = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')

/** The anchor of the `###` heading that names each variable (`` ### `JWT_ISSUER`, `JWT_AUDIENCE` ``). */
function sectionAnchors(readme: string): Map<string, string> {
  const anchors = new Map<string, string>()
  for (const [, heading] of readme.matchAll(/^### (.+)$/gm)) {
    for (const [, name] of heading!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) anchors.set(name!, anchorOf(heading!))
  }
  return anchors
}

const cell = (text: string): string => text.replaceAll('|', '\\|')

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(3, ...rows.map((row) => row[i]!.length)))
  const line = (row: string[]) => `| ${row.map((text, i) => text.padEnd(widths[i]!)).join(' | ')} |`
  return [line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n')
}

const words = (list: readonly string[]) => list.map((w) => `\`${w}\``).join(', ')

/**
 * The generated part of the README's "Options": the table of `schema`'s variables (each linked to the
 * `###` section of the README that names it: a variable without one is an error) and how values are read.
 */
export function renderConfigTable(readme: string, schema: TObject = ServerEnvSchema): string {
  const anchors = sectionAnchors(readme)
  const rows = [['variable', 'default', 'accepts', '']]
  for (const [name, property] of Object.entries(schema.properties)) {
    const spec = property as EnvAnnotations & { default?: unknown }
    const anchor = anchors.get(name)
    if (anchor === undefined) throw new Error(`the README has no "### \`${name}\`" section`)
    const fallback = spec.default === undefined ? 'none' : `\`${String(spec.default)}\``
    rows.push([
      `[\`${name}\`](#${anchor})${spec.secret === true ? ' ¹' : ''}`,
      cell(spec.defaultText ?? fallback),
      cell(expectedOf(spec)),
      cell(spec.description),
    ])
  }
  return [
    table(rows),
    '',
    '¹ A secret: may be given as `<NAME>_FILE`, the path of a file holding the value (Docker and Kubernetes',
    'secrets). **Priority: `<NAME>_FILE` > `<NAME>` > the default.** Trailing newlines are dropped; an',
    'unreadable or empty file is an error naming `<NAME>_FILE`; setting both is allowed (the file wins, with a',
    'warning).',
    '',
    `Values are trimmed, and an empty variable counts as unset. Booleans accept ${words(TRUE_WORDS)} and`,
    `${words(FALSE_WORDS)}, in any case; durations are milliseconds (\`1500\`) or one number and a unit, \`ms\`,`,
    '`s`, `m`, `h`, `d` or `w`, with no space (`30s`, `15m`, `1.5h`: the duration format of every comp-manager',
    'option); lists are separated by commas or spaces.',
  ].join('\n')
}

/** `readme` with its configuration table regenerated (between {@link TABLE_START} and {@link TABLE_END}). */
export function updateConfigDocs(readme: string): string {
  const start = readme.indexOf(TABLE_START)
  const end = readme.indexOf(TABLE_END)
  if (start === -1 || end < start) {
    throw new Error(`the README has no configuration table markers (${TABLE_START} … ${TABLE_END})`)
  }
  const before = readme.slice(0, start + TABLE_START.length)
  return `${before}\n${renderConfigTable(readme)}\n${readme.slice(end)}`
}
