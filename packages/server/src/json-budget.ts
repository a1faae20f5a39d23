import { cmError } from '@comp-manager/core'
import type { FastifyInstance } from 'fastify'

/** Containers and values of the request envelope around `args` (the body object, its other fields). */
const ENVELOPE_DEPTH = 2
const ENVELOPE_VALUES = 64

export interface JsonShape {
  /** Deepest nesting of arrays and objects. */
  depth: number
  /** An upper bound of the values the text holds: one per container, plus one per `,` (and a first one). */
  values: number
}

/**
 * The nesting and the number of values of a JSON text (its UTF-8 bytes: the structural characters are
 * ASCII, and no byte of a multi-byte character is), in one pass that skips strings and builds nothing:
 * ~1 ms per MiB, before the bytes are even decoded to a string, where `JSON.parse` of a MiB of tiny
 * values or of deep nesting costs 20–40 ms and as much again in garbage collection. `stopAt` ends the
 * scan early.
 */
export function jsonShape(bytes: Uint8Array, stopAt: JsonShape): JsonShape {
  let depth = 0
  let deepest = 0
  let values = 1
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]
    if (c === 34) {
      // a string: to its closing quote, over escapes
      for (i++; i < bytes.length; i++) {
        const s = bytes[i]
        if (s === 92) i++
        else if (s === 34) break
      }
    } else if (c === 91 || c === 123) {
      values++
      if (++depth > deepest) deepest = depth
      if (deepest > stopAt.depth) break
    } else if (c === 93 || c === 125) {
      depth--
    } else if (c === 44) {
      if (++values > stopAt.values) break
    }
  }
  return { depth: deepest, values }
}

/**
 * Replaces the JSON body parser of `app` with Fastify's own (prototype poisoning refused) behind a scan
 * of the text: a body nested deeper than the codec's `maxDepth`, or holding more values than its
 * `maxNodes`, is refused before it is parsed (400 `CM_ERR_MAX_DEPTH` / `CM_ERR_TOO_COMPLEX`, as the
 * codec would refuse it after parsing), so a hostile body costs one pass over its bytes. Must run before
 * any plugin is registered (content-type parsers are inherited when a plugin is registered).
 */
export function guardJsonBodies(app: FastifyInstance, limits: { maxDepth: number; maxNodes: number }): void {
  const stopAt = { depth: limits.maxDepth + ENVELOPE_DEPTH, values: limits.maxNodes + ENVELOPE_VALUES }
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer
    const shape = jsonShape(bytes, stopAt)
    if (shape.depth > stopAt.depth) {
      done(
        cmError('CM_ERR_MAX_DEPTH', `the body nests deeper than maxDepth (${limits.maxDepth})`, {
          details: { limit: 'maxDepth', max: limits.maxDepth },
        }),
        undefined,
      )
    } else if (shape.values > stopAt.values) {
      done(
        cmError('CM_ERR_TOO_COMPLEX', `the body holds more values than maxNodes (${limits.maxNodes})`, {
          details: { limit: 'maxNodes', max: limits.maxNodes },
        }),
        undefined,
      )
    } else {
      // Fastify's parser (secure-json-parse) decodes a Buffer itself; its type only says string.
      parse(request, bytes as unknown as string, done)
    }
  })
}
