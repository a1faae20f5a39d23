// Type tests: `tsc -p tsconfig.json` (the package's `typecheck`) checks this file; tap runs it so the
// assertions also execute. A wrong augmentation fails the typecheck, not just this test.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyRequest, type preHandlerHookHandler } from 'fastify'
import t from 'tap'
import { Type } from 'typebox'
import fastifyAuth, {
  type ApiKeyEntry,
  type AuthDecorators,
  type AuthIdentity,
  type AuthPreHandler,
  errors,
  type FastifyAuthOptions,
  type generateApiKey,
  type hashApiKey,
  type Role,
  type TokenClaims,
} from '../src/index.js'
import { SECRET } from './fixtures/helpers.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <T extends true>(_: T): void => {}

// The contract's names and shapes, exactly.
assertType<Equal<Role, 'viewer' | 'worker' | 'operator' | 'admin'>>(true)
assertType<Equal<AuthIdentity['via'], 'jwt' | 'cookie' | 'api-key'>>(true)
assertType<Equal<AuthIdentity['keyId'], string | undefined>>(true)
assertType<Equal<FastifyRequest['auth'], AuthIdentity | null>>(true)
assertType<Equal<ReturnType<typeof generateApiKey>['hash'], string>>(true)
assertType<Equal<ReturnType<typeof hashApiKey>, string>>(true)
assertType<Equal<TokenClaims, { sub: string; role: Role; namespaces: string[] }>>(true)

t.test('FastifyInstance and FastifyRequest are augmented', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyAuth, { secret: SECRET } satisfies FastifyAuthOptions)

  const authenticate: AuthPreHandler = app.authenticate
  const authorize: (role: Role) => AuthPreHandler = app.authorize
  const can: (identity: AuthIdentity | null | undefined, namespace: string) => boolean =
    app.canAccessNamespace
  const token: string = app.issueToken({ sub: 'a', role: 'viewer', namespaces: ['*'] }, { expiresIn: '1h' })
  const contract: AuthDecorators = app // the instance satisfies the contract other auth plugins provide
  // Compile-time only (these would throw at run time).
  const refused = () => {
    // @ts-expect-error unknown roles do not type-check
    app.authorize('root')
    // @ts-expect-error issueToken needs namespaces
    app.issueToken({ sub: 'a', role: 'viewer' })
  }
  // @ts-expect-error API key entries need a role
  const badEntry: ApiKeyEntry = { id: 'x', hash: 'y', namespaces: [] }

  // The preHandlers fit routes of any generic shape, and of the TypeBox type provider.
  app.get('/plain', { preHandler: app.authorize('viewer') }, async (request: FastifyRequest) => {
    const auth: AuthIdentity | null = request.auth
    return { subject: auth?.subject }
  })
  app.get<{ Params: { id: string } }>(
    '/generic/:id',
    { preHandler: [app.authenticate, app.authorize('operator')] },
    async (request) => request.params.id,
  )
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  typed.post(
    '/typed/:ns',
    {
      schema: { params: Type.Object({ ns: Type.String() }), body: Type.Object({ n: Type.Number() }) },
      preHandler: typed.authorize('admin'),
    },
    async (request, reply) => {
      const n: number = request.body.n
      if (!typed.canAccessNamespace(request.auth, request.params.ns)) return reply.code(404).send()
      return { n }
    },
  )
  const asHook: preHandlerHookHandler = async function (this, request, reply) {
    await app.authenticate(request, reply)
  }

  const code: 'CM_ERR_UNAUTHORIZED' = new errors.UnauthorizedError('x').code
  const status: 403 = new errors.ForbiddenError('x').statusCode
  t.ok([authenticate, authorize, can, token, contract, badEntry, asHook, code, status, refused])
  t.equal(code, 'CM_ERR_UNAUTHORIZED')
  t.equal(status, 403)
  await app.ready()
})

t.test('a host importing the built package sees the augmentation and nothing private', async (t) => {
  const { execFileSync } = await import('node:child_process')
  const { existsSync } = await import('node:fs')
  const { createRequire } = await import('node:module')
  const root = new URL('..', import.meta.url)
  t.ok(existsSync(new URL('dist/index.d.ts', root)), 'dist is built (`pnpm build` runs before the tests)')
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  try {
    execFileSync(process.execPath, [tsc, '-p', 'test/fixtures/types/tsconfig.json'], {
      cwd: root,
      encoding: 'utf8',
    })
    t.pass('tsc -p test/fixtures/types/tsconfig.json passes')
  } catch (err) {
    t.fail(
      `tsc -p test/fixtures/types/tsconfig.json failed:\n${(err as { stdout?: string }).stdout ?? String(err)}`,
    )
  }
})
