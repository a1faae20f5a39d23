/**
 * Option checking shared by the route plugins: the part of `resolveOptions` every plugin has (a plain
 * object, no unknown key, `namespace`, `prefix`, `development`, and "an instance given, or options to
 * create one"). Each plugin adds only its own options.
 */
import { cmError, describeType, NamespaceSchema } from '@comp-manager/core'
import { Compile } from 'typebox/compile'

const namespaceCheck = Compile(NamespaceSchema)
const PREFIX = /^(?:\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/

/** True for `{}`-like objects (prototype `Object.prototype` or `null`), false for arrays, classes, `null`. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Throws the `CM_ERR_INVALID_ARGUMENT` of a bad option of `plugin`, naming it:
 * `` `${plugin}: option \`${option}\` ${problem}` `` with `details.option` (and `cause` when given).
 */
export function optionError(plugin: string, option: string, problem: string, cause?: unknown): never {
  throw cmError('CM_ERR_INVALID_ARGUMENT', `${plugin}: option \`${option}\` ${problem}`, {
    details: { option },
    ...(cause === undefined ? {} : { cause }),
  })
}

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

/** The options every route plugin has, described once. */
export interface PluginOptionsSpec<I> {
  /** The plugin's package name, first in every message. */
  plugin: string
  /** Every option the plugin accepts (the others are refused), in the order the message lists them. */
  keys: readonly string[]
  /** The default `prefix` (also the example in its message). */
  defaultPrefix: string
  /** The default `namespace` when neither it nor an instance is given. */
  defaultNamespace: string
  instance: InstanceOptionSpec<I>
}

/** The common options, checked, before the plugin's own ones. */
export interface CommonOptions<I> {
  /** The options object itself (a plain object), for the plugin's own checks. */
  opts: Record<string, unknown>
  namespace: string
  prefix: string
  /** The instance given, if any. */
  instance: I | undefined
  /** The options to create one (`{}` when not given). */
  createOptions: Record<string, unknown>
}

/**
 * Checks the options of a route plugin at `register()`, in this order: a plain object, no unknown key,
 * the instance (and not together with the options to create one), `namespace` (defaulting to, and
 * equal to, the instance's), `prefix`, the create options; then `own` (the plugin's own options), then
 * `development`. Every failure is a `CM_ERR_INVALID_ARGUMENT` from {@link optionError}.
 */
export function resolvePluginOptions<I extends { namespace: string }, R extends object>(
  options: unknown,
  spec: PluginOptionsSpec<I>,
  own: (common: CommonOptions<I>) => R,
): CommonOptions<I> & R & { development: boolean } {
  const { plugin, instance: is } = spec
  function invalid(option: string, problem: string): never {
    optionError(plugin, option, problem)
  }
  const opts = options ?? {}
  if (!isPlainObject(opts)) invalid('options', `must be an object (got ${describeType(opts)})`)
  const keys = new Set(spec.keys)
  for (const key of Object.keys(opts)) {
    if (!keys.has(key)) invalid(key, `is not an option (expected one of ${[...keys].join(', ')})`)
  }

  let instance: I | undefined
  if (opts[is.option] !== undefined) {
    const given = opts[is.option]
    if (!is.is(given)) invalid(is.option, `must be ${is.expected} (got ${describeType(given)})`)
    instance = given as I
    if (opts[is.createOption] !== undefined) {
      invalid(
        is.createOption,
        `cannot be combined with \`${is.option}\`: configure the ${is.noun} you pass instead`,
      )
    }
  }

  let namespace = spec.defaultNamespace
  if (opts.namespace !== undefined) {
    if (!namespaceCheck.Check(opts.namespace)) {
      invalid(
        'namespace',
        `must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit (got ${describeType(opts.namespace)})`,
      )
    }
    namespace = opts.namespace as string
    if (instance !== undefined && instance.namespace !== namespace) {
      invalid(
        'namespace',
        `is '${namespace}' but the ${is.noun}'s namespace is '${instance.namespace}': leave it out or make them equal`,
      )
    }
  } else if (instance !== undefined) {
    namespace = instance.namespace
  }

  let prefix = spec.defaultPrefix
  if (opts.prefix !== undefined) {
    if (typeof opts.prefix !== 'string' || !PREFIX.test(opts.prefix)) {
      invalid(
        'prefix',
        `must be a URL path such as '${spec.defaultPrefix}' (no trailing slash; got ${JSON.stringify(opts.prefix)})`,
      )
    }
    prefix = opts.prefix as string
  }

  let createOptions: Record<string, unknown> = {}
  const create = opts[is.createOption]
  if (create !== undefined) {
    if (!isPlainObject(create)) invalid(is.createOption, `must be an object (got ${describeType(create)})`)
    for (const key of ['store', 'namespace']) {
      if (Object.hasOwn(create, key)) {
        invalid(
          `${is.createOption}.${key}`,
          key === 'store'
            ? `is not accepted: the ${is.noun} ${is.storeVerb} fastify.compStore (register @comp-manager/fastify-store with the store you want)`
            : 'is not accepted: use the plugin option `namespace`',
        )
      }
    }
    createOptions = create
  }

  const common: CommonOptions<I> = { opts, namespace, prefix, instance, createOptions }
  const rest = own(common)

  if (opts.development !== undefined && typeof opts.development !== 'boolean') {
    invalid('development', `must be a boolean (got ${describeType(opts.development)})`)
  }

  return { ...common, ...rest, development: opts.development === true }
}
