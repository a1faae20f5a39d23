import { CallbackSchema, defineOptions } from '@comp-manager/core/options'
import { Type } from 'typebox'
import { Delay, expected, Lifetime, Name, PACKAGE, TagsSchema, Ttl, Version } from './options.js'
import type { WrapOptions } from './types.js'

/**
 * The options of `wrap` and of the method decorator (the wrap options plus `name`): one schema, and
 * the settings of a wrapped function they resolve to, once, at wrap time.
 */

const wrapProperties = {
  functionFull: Type.Optional(Name),
  ttl: Type.Optional(Ttl),
  version: Type.Optional(Version),
  tags: Type.Optional(
    Type.Union(
      [TagsSchema, CallbackSchema()],
      expected('a list of tags or a function (args, result) returning one'),
    ),
  ),
  key: Type.Optional(CallbackSchema('a function of the arguments returning a string')),
  ignoreArgs: Type.Optional(Type.Boolean()),
  staleWhileRevalidate: Type.Optional(Lifetime),
  shouldCache: Type.Optional(CallbackSchema('a function of the result returning a boolean')),
  timeoutMs: Type.Optional(Delay),
  storeArgs: Type.Optional(Type.Boolean()),
}

const WrapOptionsParser = defineOptions(Type.Object(wrapProperties, { additionalProperties: false }), {
  package: PACKAGE,
  what: 'wrap()',
  optional: true,
})

const DecoratorOptionsParser = defineOptions(
  Type.Object({ ...wrapProperties, name: Type.Optional(Name) }, { additionalProperties: false }),
  { package: PACKAGE, what: 'decorator', optional: true },
)

/** A wrapped function's settings, resolved once at wrap time. */
export interface WrapSpec<A extends readonly unknown[], R> {
  /** The options as given (for `explain` overrides). */
  options: WrapOptions<A, R>
  name: string
  functionFull: string
  version: string | number | undefined
  /** How the version is recorded on entries (`String(version)`, or `null`). */
  versionText: string | null
  ttlMs: number | null
  /** 0 = off. */
  swrMs: number
  tags: readonly string[] | ((args: A, result: R) => readonly string[])
  key: ((...args: A) => string) | undefined
  ignoreArgs: boolean
  shouldCache: (result: R) => boolean
  timeoutMs: number | undefined
  storeArgs: boolean
}

const cacheDefined = (result: unknown): boolean => result !== undefined

type ParsedWrap = ReturnType<typeof WrapOptionsParser.parse>

/** The checks across wrap options, after the schema's. */
function checkWrap(
  parsed: ParsedWrap,
  fail: (path: string, problem: string) => never,
  defaultTtlMs: number | null,
) {
  const ttlMs = parsed.ttl === undefined ? defaultTtlMs : parsed.ttl
  if (parsed.staleWhileRevalidate !== undefined && ttlMs === null)
    fail('staleWhileRevalidate', 'needs a `ttl`: a value that never expires is never stale')
  if (parsed.key !== undefined && parsed.ignoreArgs === true)
    fail('ignoreArgs', 'cannot be combined with `key`')
  return ttlMs
}

/** Checks wrap options (each error names the option) and resolves the wrapped function's settings. */
export function resolveWrapOptions<A extends readonly unknown[], R>(
  name: string,
  options: WrapOptions<A, R> | undefined,
  defaultTtlMs: number | null,
): WrapSpec<A, R> {
  const parsed = WrapOptionsParser.parse(options ?? undefined) // `null` stands for no options, as before
  const ttlMs = checkWrap(parsed, WrapOptionsParser.fail, defaultTtlMs)
  const opts = options ?? {}
  const version = parsed.version
  return {
    options: opts,
    name,
    functionFull: parsed.functionFull ?? name,
    version,
    versionText: version === undefined ? null : String(version),
    ttlMs,
    swrMs: parsed.staleWhileRevalidate ?? 0,
    tags: opts.tags ?? [],
    key: opts.key,
    ignoreArgs: parsed.ignoreArgs === true,
    shouldCache: opts.shouldCache ?? cacheDefined,
    timeoutMs: parsed.timeoutMs,
    storeArgs: parsed.storeArgs === true,
  }
}

/** Checks the decorator's options when the class is defined (not at the first call). */
export function checkDecoratorOptions(options: unknown, defaultTtlMs: number | null): void {
  checkWrap(DecoratorOptionsParser.parse(options ?? undefined), DecoratorOptionsParser.fail, defaultTtlMs)
}
