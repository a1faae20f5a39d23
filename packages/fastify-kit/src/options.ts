/**
 * The options every route plugin has, declared once as one TypeBox schema and checked by core's
 * `defineOptions`: an instance given (`tracker`, `cache`) or the options to create one
 * (`trackerOptions`, `cacheOptions`), `namespace`, `prefix` and `development`. Each plugin adds only
 * the properties of its own options.
 */
import { defineOptions, InstanceSchema, NamespaceOptionSchema } from '@comp-manager/core/options'
import { type StaticDecode, type TObject, type TProperties, type TSchemaOptions, Type } from 'typebox'
import { DECORATOR_NAME_PATTERN, STORE_DECORATOR } from './registration.js'

/** A URL path of one or more segments, without a trailing slash. */
const PREFIX_PATTERN = "^(?:/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$"

/** What a plugin serves: an instance (a cache, a tracker) living in `fastify.compStore`. */
export interface InstanceOptionSpec<I> {
  /** The option taking an existing instance (`'cache'`). */
  option: string
  /** The option taking the options to create one (`'cacheOptions'`); `store` and `namespace` are refused in it. */
  createOption: string
  /** The instance's name in messages (`'cache'`). */
  noun: string
  /** What the option must be, in messages (`'a Cache from createCache()'`). */
  expected: string
  /** How the instance relates to the store, in messages (`'lives in'`, `'records to'`). */
  storeVerb: string
  /** The instance check (by shape: a second copy of the package would fail `instanceof`). */
  is: (value: unknown) => value is I
}

/** The options of a route plugin, described once. */
export interface PluginOptionsSpec<I, P extends TProperties> {
  /** The plugin's package name, first in every message. */
  plugin: string
  /** The default `prefix` (also the example in its message). */
  defaultPrefix: string
  /** The default `namespace` when neither it nor an instance is given. */
  defaultNamespace: string
  /** The default `decorator`: the name the plugin decorates the instance under (`'cache'`). */
  defaultDecorator: string
  instance: InstanceOptionSpec<I>
  /** The plugin's own options, as TypeBox properties (checked after `prefix`, before `development`). */
  properties: P
}

/** The common options, checked and with their defaults. */
export interface CommonOptions<I> {
  namespace: string
  prefix: string
  development: boolean
  /** The name the plugin decorates its instance under (`fastify.cache`, or the chosen one). */
  decorator: string
  /** The decorator of the store the plugin uses (`fastify.compStore`, or the one `fastify-store` was given). */
  storeDecorator: string
  /** The instance given, if any. */
  instance: I | undefined
  /** The options to create one (`{}` when not given), as given. */
  createOptions: Record<string, unknown>
}

/** What {@link PluginOptionsParser.parse} returns. */
export interface ResolvedPluginOptions<I, P extends TProperties> extends CommonOptions<I> {
  /** The plugin's own options, decoded (durations in milliseconds); those not given are absent. */
  own: Partial<StaticDecode<TObject<P>>>
  /**
   * The options object as given (and checked). Read instance-valued options (a codec, a logger) from
   * it: `own` holds copies of plain objects, as TypeBox's decoder makes them.
   */
  given: Readonly<Record<string, unknown>>
}

export interface PluginOptionsParser<I, P extends TProperties> {
  /** The one schema of the plugin's options. */
  readonly schema: TObject
  /** Checks the options given to `register()` (`undefined` or `null` stand for `{}`); throws on the first problem. */
  parse(options: unknown): ResolvedPluginOptions<I, P>
  /** Throws the `CM_ERR_INVALID_ARGUMENT` of option `path` (`details: { option, package }`). */
  fail(path: string, problem: string, cause?: unknown): never
}

/** The schema of a decorator name option (`decorator`, `storeDecorator`). */
export function decoratorName(example: string) {
  return Type.String({
    pattern: DECORATOR_NAME_PATTERN,
    expected: `a decorator name: an identifier such as '${example}'`,
  } as TSchemaOptions)
}

/** A key that may not be given: any value fails with `problem`. */
const refused = (problem: string) => Type.Optional(InstanceSchema<never>(() => problem, 'left out'))

/**
 * Declares the options of a route plugin: one schema, checked in this order — no unknown key, the
 * instance, the options to create one (without `store` or `namespace`), `namespace`, `prefix`, the
 * plugin's own `properties`, `development` — then across options: not an instance together with the
 * options to create one, and `namespace` equal to the instance's. Every failure is a
 * `CM_ERR_INVALID_ARGUMENT` naming the plugin and the option (`details: { option, package }`).
 *
 * @example
 * const CacheOptions = definePluginOptions({ plugin: '@comp-manager/fastify-cache', …, properties: {} })
 * const { namespace, prefix, instance, createOptions, development } = CacheOptions.parse(options)
 */
export function definePluginOptions<I extends { namespace: string }, P extends TProperties>(
  spec: PluginOptionsSpec<I, P>,
): PluginOptionsParser<I, P> {
  const { instance: is } = spec
  const schema = Type.Object(
    {
      [is.option]: Type.Optional(
        InstanceSchema<I>((value) => (is.is(value) ? undefined : `must be ${is.expected}`), is.expected),
      ),
      [is.createOption]: Type.Optional(
        Type.Object(
          {
            store: refused(
              `is not accepted: the ${is.noun} ${is.storeVerb} fastify.compStore (register @comp-manager/fastify-store with the store you want)`,
            ),
            namespace: refused('is not accepted: use the plugin option `namespace`'),
          },
          { additionalProperties: true },
        ),
      ),
      namespace: Type.Optional(NamespaceOptionSchema),
      prefix: Type.Optional(
        Type.String({
          pattern: PREFIX_PATTERN,
          expected: `a URL path such as '${spec.defaultPrefix}' (no trailing slash)`,
        } as TSchemaOptions),
      ),
      decorator: Type.Optional(decoratorName(spec.defaultDecorator)),
      storeDecorator: Type.Optional(decoratorName(STORE_DECORATOR)),
      ...spec.properties,
      development: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  )
  const parser = defineOptions(schema, { package: spec.plugin, optional: true })

  function parse(options: unknown): ResolvedPluginOptions<I, P> {
    const decoded = parser.parse(options ?? undefined) as Record<string, unknown>
    // Checked: a plain object. Instances and pass-through options are read from it, uncopied.
    const given = (options ?? {}) as Record<string, unknown>
    const instance = given[is.option] as I | undefined
    const create = given[is.createOption] as Record<string, unknown> | undefined
    if (instance !== undefined && create !== undefined) {
      parser.fail(
        is.createOption,
        `cannot be combined with \`${is.option}\`: configure the ${is.noun} you pass instead`,
      )
    }
    const namespace = decoded.namespace as string | undefined
    if (namespace !== undefined && instance !== undefined && instance.namespace !== namespace) {
      parser.fail(
        'namespace',
        `is '${namespace}' but the ${is.noun}'s namespace is '${instance.namespace}': leave it out or make them equal`,
      )
    }
    const own: Record<string, unknown> = {}
    for (const key of Object.keys(spec.properties)) {
      if (decoded[key] !== undefined) own[key] = decoded[key]
    }
    return {
      namespace: namespace ?? instance?.namespace ?? spec.defaultNamespace,
      prefix: (decoded.prefix as string | undefined) ?? spec.defaultPrefix,
      development: decoded.development === true,
      decorator: (decoded.decorator as string | undefined) ?? spec.defaultDecorator,
      storeDecorator: (decoded.storeDecorator as string | undefined) ?? STORE_DECORATOR,
      instance,
      createOptions: create ?? {},
      own: own as Partial<StaticDecode<TObject<P>>>,
      given,
    }
  }

  return { schema, parse, fail: parser.fail }
}
