/** The `$`-key guard: no key that looks like a database operator reaches a store from a request. */
import { cmError } from '@comp-manager/core'
import type { FastifyRequest, preValidationHookHandler } from 'fastify'
import { pointer } from './json-pointer.js'

/** Most nodes of one query or body the `$`-key scan visits before refusing the request. */
export const MAX_SCANNED_NODES = 100_000

/**
 * The path of the first `$`-prefixed key in `value` (at any depth, in objects and arrays), or
 * `undefined`. Query keys are also refused when a bracket or dot segment starts with `$`
 * (`status[$ne]`, `a.$gt`), the spellings other query parsers turn into operators. Iterative, so a
 * deeply nested body cannot overflow the stack; over {@link MAX_SCANNED_NODES} nodes it reports the
 * root (`''`) so the caller refuses the request.
 */
export function findDollarKey(value: unknown, options: { segments?: boolean } = {}): string | undefined {
  const segments = options.segments ?? false
  // Most bodies have no such key: a first walk builds no path string (a large body has ~10^5 nodes).
  const clean = noDollarKey(value, segments)
  if (clean === true) return undefined
  if (clean === undefined) return ''
  const stack: Array<{ node: unknown; path: string }> = [{ node: value, path: '' }]
  let visited = 0
  while (stack.length > 0) {
    const { node, path } = stack.pop()!
    if (typeof node !== 'object' || node === null) continue
    if (++visited > MAX_SCANNED_NODES) return ''
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ node: node[i], path: `${path}/${i}` })
      continue
    }
    for (const key of Object.keys(node)) {
      if (key.startsWith('$') || (segments && /[[.]\$/.test(key))) return `${path}${pointer(key)}`
      stack.push({ node: (node as Record<string, unknown>)[key], path: `${path}${pointer(key)}` })
    }
  }
  return undefined
}

/** True when no key starts with `$`, false when one does, undefined when the walk gave up (too large). */
function noDollarKey(value: unknown, segments: boolean): boolean | undefined {
  const stack: unknown[] = [value]
  let visited = 0
  while (stack.length > 0) {
    const node = stack.pop()
    if (typeof node !== 'object' || node === null) continue
    if (++visited > MAX_SCANNED_NODES) return undefined
    if (Array.isArray(node)) {
      for (const item of node) if (typeof item === 'object' && item !== null) stack.push(item)
      continue
    }
    for (const key in node) {
      if (!Object.hasOwn(node, key)) continue
      if (key.charCodeAt(0) === 36 || (segments && /[[.]\$/.test(key))) return false
      const child = (node as Record<string, unknown>)[key]
      if (typeof child === 'object' && child !== null) stack.push(child)
    }
  }
  return true
}

/**
 * Throws a 400 `CM_ERR_VALIDATION` when the query string or the body holds a `$`-prefixed key at any
 * depth — including inside free-form JSON such as a computation's codec-encoded `args`, where every
 * store keeps it as inert data: a request never carries anything that looks like a database operator
 * (`$where`, `$ne`, `$gt`…), whatever store or host code sees it later. (A value whose objects have
 * `$`-prefixed keys can still be recorded by calling the tracked function in-process.)
 */
export function rejectDollarKeys(request: Pick<FastifyRequest, 'query' | 'body'>): void {
  for (const [part, value, segments] of [
    ['querystring', request.query, true],
    ['body', request.body, false],
  ] as const) {
    const path = findDollarKey(value, { segments })
    if (path === undefined) continue
    throw cmError(
      'CM_ERR_VALIDATION',
      path === ''
        ? `${part} is too large to check for \`$\`-prefixed keys`
        : `${part}${path}: \`$\`-prefixed keys are not allowed (no database operators in requests)`,
      { details: { in: part, issues: [{ path: `${part}${path || '/'}`, message: 'forbidden `$` key' }] } },
    )
  }
}

/** {@link rejectDollarKeys} as a `preValidation` hook (it runs before the schema, for a clear message). */
export const dollarKeyGuard: preValidationHookHandler = async function dollarKeyGuard(request) {
  rejectDollarKeys(request)
}
