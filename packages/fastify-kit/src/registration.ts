/**
 * The registration steps every route plugin repeats: claim its decorator, require `fastify.compStore`,
 * serve a given instance or create one, name its health check, and refuse an auth plugin registered
 * after it.
 */
import { cmError, type PingResult, type Store } from '@comp-manager/core'
import type { FastifyInstance } from 'fastify'
import { hasAuth } from './access.js'
import { HEALTH_CHECKS_DECORATOR } from './health.js'
import './types.js'

/** Options of {@link claimDecorator}. */
export interface ClaimDecoratorOptions {
  /** The plugin's package name, first in every message. */
  plugin: string
  /** The decorator the plugin adds (`'cache'` for `fastify.cache`). */
  decorator: string
  /** Another plugin known to take the same decorator, named in the message (`'@fastify/caching'`). */
  otherPlugin?: string
  /** The decorator of the store (the `decorator` option of `@comp-manager/fastify-store`). Default `'compStore'`. */
  storeDecorator?: string
}

/**
 * The first step of a route plugin: throws `CM_ERR_INVALID_ARGUMENT` (with `details.decorator`) when
 * `fastify[decorator]` already exists (the plugin registered twice in one context) or when
 * `fastify.compStore` is missing (`@comp-manager/fastify-store` not registered before); returns the store.
 */
export function claimDecorator(fastify: FastifyInstance, options: ClaimDecoratorOptions): Store {
  const { plugin, decorator, otherPlugin } = options
  if (fastify.hasDecorator(decorator)) {
    const by = otherPlugin === undefined ? '' : ` (by this plugin, or another one such as ${otherPlugin})`
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${plugin}: \`fastify.${decorator}\` is already decorated${by}: register ${plugin} once per instance (or in separate encapsulated contexts)`,
      { details: { decorator } },
    )
  }
  const store = options.storeDecorator ?? STORE_DECORATOR
  if (!fastify.hasDecorator(store)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${plugin}: \`fastify.${store}\` is missing: register @comp-manager/fastify-store first${store === STORE_DECORATOR ? '' : ` with { decorator: '${store}' }`}`,
      { details: { decorator: store } },
    )
  }
  return decoratorOf<Store>(fastify, store)
}

/** The default decorator of the store: `fastify.compStore`. */
export const STORE_DECORATOR = 'compStore'

/**
 * A decorator name: an identifier (letters, digits, `_`, `$`, not starting with a digit), at most 64
 * characters. One that exists already (`__proto__`, `constructor`, Fastify's own) is refused at
 * registration by {@link claimDecorator}.
 */
export const DECORATOR_NAME_PATTERN = '^[A-Za-z_$][A-Za-z0-9_$]{0,63}$'

/**
 * `fastify[name]`, typed as `T`: how a plugin, or a host app, reads a decorator whose name is an option
 * (the types of a chosen name cannot come from module augmentation). Throws `CM_ERR_INVALID_ARGUMENT`
 * naming the decorator when it is missing.
 */
export function decoratorOf<T>(fastify: FastifyInstance, name: string, plugin?: string): T {
  if (!fastify.hasDecorator(name)) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${plugin === undefined ? '' : `${plugin}: `}\`fastify.${name}\` is not decorated: is the plugin registered (with that decorator name) in this context?`,
      { details: { decorator: name } },
    )
  }
  return (fastify as unknown as Record<string, T>)[name]!
}

/** Options of {@link givenOrCreated}. */
export interface GivenOrCreatedOptions<I> {
  /** The plugin's package name, first in the message. */
  plugin: string
  /** The option that gave the instance (`'cache'`), named in the message. */
  option: string
  /** How the instance relates to the store, in the message (`'lives in'`, `'records to'`). */
  storeVerb: string
  /** The instance given in the options, if any. */
  given: I | undefined
  /** `fastify.compStore`. */
  store: Store
  /** Creates the instance when none was given. */
  create: () => I
}

/**
 * The instance a plugin serves: the one given (which must use `store`, else `CM_ERR_INVALID_ARGUMENT`
 * naming the option), or a new one from `create`. `owned` is true only for a created one: close it
 * when the app closes, never a given one.
 */
export function givenOrCreated<I extends { store: unknown }>(
  options: GivenOrCreatedOptions<I>,
): { instance: I; owned: boolean } {
  const { given, option, plugin } = options
  if (given === undefined) return { instance: options.create(), owned: true }
  if (given.store !== options.store) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${plugin}: \`${option}\` ${options.storeVerb} another store than fastify.compStore: register @comp-manager/fastify-store with { store: ${option}.store }`,
      { details: { option, package: plugin } },
    )
  }
  return { instance: given, owned: false }
}

/**
 * The name of a plugin's health check: `base`, or `base:namespace` when `base` is already taken (the
 * plugin registered again, in another encapsulated context).
 */
export function healthCheckName(fastify: FastifyInstance, base: string, namespace: string): string {
  return fastify.hasDecorator(HEALTH_CHECKS_DECORATOR) && fastify.compHealthChecks.has(base)
    ? `${base}:${namespace}`
    : base
}

/** The health error of a failed store ping (`store unreachable: …`), or `undefined` when it answered. */
export function pingError(ping: PingResult): string | undefined {
  return ping.ok ? undefined : `store unreachable${ping.error === undefined ? '' : `: ${ping.error}`}`
}

/**
 * Routes are protected when an auth plugin is registered before the route plugin; one registered
 * later would leave them open (or, since requests then carry no identity, answering 404). Adds an
 * `onReady` hook refusing to start in that case (`CM_ERR_INVALID_ARGUMENT`, `details.decorator: 'authorize'`).
 */
export function refuseLateAuth(fastify: FastifyInstance, plugin: string): void {
  const protectedRoutes = hasAuth(fastify)
  fastify.addHook('onReady', async () => {
    if (!protectedRoutes && hasAuth(fastify)) {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `${plugin}: an auth plugin (fastify.authorize) was registered after ${plugin}: register it before, so the routes are protected`,
        { details: { decorator: 'authorize' } },
      )
    }
  })
}
