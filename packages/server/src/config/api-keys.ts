import { isPlainObject, NamespaceOptionSchema, OneOfSchema } from '@comp-manager/core/options'
import { type ApiKeyEntry, type Role, roles } from '@comp-manager/fastify-auth'
import { type Static, type TSchema, type TSchemaOptions, Type } from 'typebox'
import { Value } from 'typebox/value'
import { type EnvReport, expectedOf } from './env-reader.js'

const expected = (words: string) => ({ expected: words }) as TSchemaOptions

/** One entry of `API_KEYS`, field by field, in the order they are checked. */
const ApiKeyEntrySchema = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', ...expected("1-64 letters, digits or '-'") }),
  // Never printed: it may be a plaintext key pasted by mistake.
  hash: Type.String({
    pattern: '^[0-9a-f]{64}$',
    ...expected('the SHA-256 hex of the key (64 lowercase hex characters), not the key itself'),
  }),
  role: Type.Unsafe<Role>(OneOfSchema(roles)),
  namespaces: Type.Array(Type.Union([Type.Literal('*'), NamespaceOptionSchema]), {
    minItems: 1,
    ...expected("a non-empty list of namespaces or '*'"),
  }),
  subject: Type.Optional(Type.String({ minLength: 1, ...expected('a non-empty string') })),
})

const MALFORMED = Symbol('malformed')

/** The entries of `API_KEYS`: a JSON array, or the compact form `id:role:ns1|ns2:hash` separated by commas, spaces or new lines. */
function entriesOf(raw: string, variable: string, report: EnvReport): unknown[] {
  const trimmed = raw.trim()
  if (!trimmed.startsWith('[')) {
    return trimmed
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((item, i) => {
        const parts = item.split(':')
        if (parts.length === 4) {
          const [id, role, namespaces, hash] = parts as [string, string, string, string]
          return { id, role, namespaces: namespaces.split('|'), hash }
        }
        const form = '`id:role:namespaces:sha256hash` (namespaces separated by |)'
        report.problem(variable, `entry ${i + 1} must be ${form}`)
        return MALFORMED
      })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(trimmed)
  } catch {
    report.problem(variable, 'is not valid JSON (expected an array of { id, hash, role, namespaces })')
    return []
  }
  if (Array.isArray(parsed)) return parsed
  report.problem(variable, 'must be a JSON array of { id, hash, role, namespaces }')
  return []
}

/** The first field of `entry` that does not fit {@link ApiKeyEntrySchema}, with its schema. */
function badField(entry: Record<string, unknown>): [field: string, schema: TSchema] | undefined {
  const required = new Set<string>(ApiKeyEntrySchema.required ?? [])
  for (const [field, schema] of Object.entries(ApiKeyEntrySchema.properties) as [string, TSchema][]) {
    const value = entry[field]
    if (value === undefined && !required.has(field)) continue
    if (!Value.Check(schema, value)) return [field, schema]
  }
  return undefined
}

/** One entry checked: the key, or what is wrong with it (`ids`: the ids of the valid entries before it). */
function checkEntry(entry: unknown, where: string, ids: Set<string>): ApiKeyEntry | string {
  if (!isPlainObject(entry)) return `${where} must be an object`
  const bad = badField(entry)
  if (bad?.[0] === 'id') return `${where}: id must be ${expectedOf(bad[1])}`
  const id = entry.id as string
  if (ids.has(id)) return `${where}: the id ${JSON.stringify(id)} is listed twice`
  if (bad !== undefined) return `${where} (${id}): ${bad[0]} must be ${expectedOf(bad[1])}`
  const { hash, role, namespaces, subject } = entry as Static<typeof ApiKeyEntrySchema>
  return { id, hash, role, namespaces, ...(subject === undefined ? {} : { subject }) }
}

/**
 * The API keys of `raw` (the value of `variable`: `API_KEYS` or `API_KEYS_FILE`), each entry checked
 * against {@link ApiKeyEntrySchema}: one problem per bad entry, and no value printed.
 */
export function parseApiKeys(raw: string, variable: string, report: EnvReport): ApiKeyEntry[] {
  const keys: ApiKeyEntry[] = []
  const ids = new Set<string>()
  for (const [i, entry] of entriesOf(raw, variable, report).entries()) {
    if (entry === MALFORMED) continue
    const key = checkEntry(entry, `entry ${i + 1}`, ids)
    if (typeof key === 'string') {
      report.problem(variable, key)
    } else {
      ids.add(key.id)
      keys.push(key)
    }
  }
  return keys
}
