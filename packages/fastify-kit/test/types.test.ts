// Type tests: `tsc -p tsconfig.json` (the package's `typecheck`) checks this file; tap runs it so the
// assertions also execute. A wrong augmentation fails the typecheck, not just this test.
import { MemoryStore, type Store } from '@comp-manager/core'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import t from 'tap'
import {
  type AuthContract,
  type AuthIdentity,
  type AuthPreHandler,
  type HealthCheck,
  type HealthReport,
  identityOf,
  protect,
  type Role,
  resolveNamespaces,
  roles,
  type runHealthChecks,
} from '../src/index.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <T extends true>(_: T): void => {}

assertType<Equal<FastifyInstance['compStore'], Store>>(true)
assertType<Equal<FastifyInstance['compHealthChecks'], Map<string, HealthCheck>>>(true)
assertType<Equal<FastifyRequest['auth'], AuthIdentity | null>>(true)
assertType<Equal<Role, 'viewer' | 'worker' | 'operator' | 'admin'>>(true)
assertType<Equal<(typeof roles)[number], Role>>(true)
assertType<Equal<FastifyInstance['authorize'], (role: Role) => AuthPreHandler>>(true)
assertType<Equal<Awaited<ReturnType<typeof runHealthChecks>>, HealthReport>>(true)

/** An auth plugin of one's own, written against the contract only (as in the README). */
const ownAuth = fp(
  async (fastify: FastifyInstance) => {
    fastify.decorateRequest('auth', null)
    const authenticate: AuthPreHandler = async (request) => {
      if (request.auth) return
      const identity: AuthIdentity = {
        subject: 'me',
        role: 'operator',
        namespaces: ['a'],
        allNamespaces: false,
      }
      request.auth = identity
    }
    const rank: Record<Role, number> = { viewer: 0, worker: 1, operator: 2, admin: 3 }
    fastify.decorate('authenticate', authenticate)
    fastify.decorate(
      'authorize',
      (role: Role): AuthPreHandler =>
        async (request, reply) => {
          await authenticate(request, reply)
          if (rank[request.auth!.role] < rank[role]) {
            throw Object.assign(new Error('forbidden'), { statusCode: 403, code: 'CM_ERR_FORBIDDEN' })
          }
        },
    )
    fastify.decorate(
      'canAccessNamespace',
      (identity: AuthIdentity | null | undefined, namespace: string) =>
        !!identity && (identity.allNamespaces || identity.namespaces.includes(namespace)),
    )
  },
  { name: 'own-auth', fastify: '5.x' },
)

t.test('an auth plugin written against the contract protects routes through protect()', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.decorate('compStore', new MemoryStore())
  await app.register(ownAuth)
  await app.register(async (child) => {
    child.get('/mine', { preHandler: protect(child, 'viewer') }, async (request) => ({
      subject: identityOf(request)?.subject,
      namespaces: resolveNamespaces(request, { defaultNamespace: 'default' }),
    }))
    child.get('/admin', { preHandler: protect(child, 'admin') }, async () => 'never')
  })
  await app.ready()
  const contract: AuthContract = app // the instance satisfies the contract
  const store: Store = app.compStore
  t.ok(contract && store)
  t.same((await app.inject('/mine')).json(), { subject: 'me', namespaces: ['a'] })
  t.equal((await app.inject('/admin')).statusCode, 403)
  t.same(roles, ['viewer', 'worker', 'operator', 'admin'])
})
