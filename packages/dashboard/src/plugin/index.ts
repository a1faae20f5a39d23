/**
 * `@comp-manager/dashboard`: a Fastify plugin serving the dashboard's built single-page application
 * (`dist/app`, built by Vite at package build time) under the prefix it is registered with.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'

export interface FastifyDashboardOptions {
  /**
   * Where the REST API is, as the browser sees it (the client's `baseUrl`): default `''`, the same
   * origin as the page. The generated paths carry `/api/v1`.
   */
  apiBaseUrl?: string
  /** The page title. Default `comp-manager`. */
  title?: string
  /** The directory of the built application; default the one shipped in the package. */
  root?: string
}

/** Where the built SPA is (next to this file once built: `dist/app`). */
export const defaultRoot: string = join(dirname(fileURLToPath(import.meta.url)), 'app')

/** The CSP of the dashboard's pages: own scripts, styles and API only; nothing inline. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const OPTION_NAMES = new Set(['apiBaseUrl', 'title', 'root', 'prefix'])

function checkOptions(
  opts: Record<string, unknown>,
): Required<Omit<FastifyDashboardOptions, 'root'>> & { root: string } {
  for (const name of Object.keys(opts)) {
    if (!OPTION_NAMES.has(name)) {
      throw new TypeError(
        `@comp-manager/dashboard: \`${name}\` is not an option (expected apiBaseUrl, title, root)`,
      )
    }
  }
  const { apiBaseUrl = '', title = 'comp-manager', root = defaultRoot } = opts as FastifyDashboardOptions
  if (typeof apiBaseUrl !== 'string' || /["<>\s]/.test(apiBaseUrl)) {
    throw new TypeError(
      '@comp-manager/dashboard: `apiBaseUrl` must be a URL or a path (a string without quotes, <, > or spaces)',
    )
  }
  if (typeof title !== 'string' || title.length > 200) {
    throw new TypeError('@comp-manager/dashboard: `title` must be a string of at most 200 characters')
  }
  if (typeof root !== 'string' || !existsSync(join(root, 'index.html'))) {
    throw new TypeError(
      `@comp-manager/dashboard: \`root\` (${String(root)}) has no index.html: build the package first (pnpm build)`,
    )
  }
  return { apiBaseUrl, title, root }
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** The index page with its settings as `<meta>` tags (data, not inline script: the CSP stays strict). */
function indexPage(root: string, apiBaseUrl: string, title: string): string {
  return readFileSync(join(root, 'index.html'), 'utf8')
    .replace('<title>comp-manager</title>', `<title>${escapeHtml(title)}</title>`)
    .replace('content="__API_BASE__"', `content="${escapeHtml(apiBaseUrl)}"`)
}

async function fastifyDashboard(fastify: FastifyInstance, opts: FastifyDashboardOptions): Promise<void> {
  const { apiBaseUrl, title, root } = checkOptions(opts as Record<string, unknown>)
  const html = indexPage(root, apiBaseUrl, title)
  fastify.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', DASHBOARD_CSP)
    reply.header('x-content-type-options', 'nosniff')
    return payload
  })
  await fastify.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    index: false,
    wildcard: true,
    immutable: true,
    maxAge: '365d',
    decorateReply: false,
  })
  // The SPA routes by the URL's hash: the prefix with a slash is the page (its assets are relative to
  // it), the bare prefix redirects there.
  fastify.route({
    method: ['GET', 'HEAD'],
    url: '/',
    prefixTrailingSlash: 'slash',
    handler: (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html),
  })
  if (fastify.prefix !== '') {
    fastify.route({
      method: ['GET', 'HEAD'],
      url: '/',
      prefixTrailingSlash: 'no-slash',
      handler: (_request, reply) => reply.redirect(`${fastify.prefix}/`, 302),
    })
  }
}

/** The plugin: register it with a `prefix` (`/dashboard`). */
export const dashboard: FastifyPluginAsync<FastifyDashboardOptions> = fp(fastifyDashboard, {
  fastify: '5.x',
  name: '@comp-manager/dashboard',
  encapsulate: true,
})

export default dashboard
