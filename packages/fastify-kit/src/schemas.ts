/** TypeBox pieces shared by the route plugins' schemas. */
import { NamespaceSchema } from '@comp-manager/core'
import { type TSchema, Type } from 'typebox'

/** A copy of `schema` (TypeBox's hidden markers included) with another `description`. */
export function described<T extends TSchema>(schema: T, description: string): T {
  const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(schema)) as T
  ;(copy as { description?: string }).description = description
  return copy
}

/** An ISO 8601 date-time string, as the routes render timestamps. */
export const IsoDateTimeSchema = Type.String({
  format: 'date-time',
  description: 'ISO 8601 date-time (UTC)',
  examples: ['2026-01-31T12:00:00.000Z'],
})

/** The optional `namespace` query property of the routes reading records. */
export const NamespaceQueryProperty = Type.Optional(
  described(NamespaceSchema, "The namespace to look in (default: the plugin's, or the token's namespaces)"),
)
