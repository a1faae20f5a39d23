import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** The Swagger UI scripts the page loads that may create `<style>` elements (its logo is an SVG with one). */
const UI_SCRIPTS = ['swagger-ui-standalone-preset.js', 'swagger-ui-bundle.js']

/** `createElement("style", null, "<css>")` in the minified bundles, with the CSS as a plain string literal. */
const STYLE_ELEMENT = /createElement\("style",null,"((?:[^"\\]|\\.)*)"\)/g

/**
 * The CSP source (`'sha256-…'`) of each `<style>` element Swagger UI's scripts create at run time. A hash
 * allows exactly that stylesheet and nothing else, where `'unsafe-inline'` would allow any: the browser
 * reported these as "Applying inline style violates … style-src" with the UI's default policy.
 */
export function swaggerUiStyleHashes(staticDir: string = swaggerUiStaticDir()): string[] {
  const hashes = new Set<string>()
  for (const file of UI_SCRIPTS) {
    const source = readFileSync(join(staticDir, file), 'utf8')
    for (const [, literal] of source.matchAll(STYLE_ELEMENT)) {
      const css = JSON.parse(`"${literal}"`) as string
      hashes.add(`'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`)
    }
  }
  return [...hashes]
}

/** Where `@fastify/swagger-ui` keeps the files it serves under `/docs/static`. */
export function swaggerUiStaticDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')), 'static')
}

/**
 * The Content-Security-Policy of the Swagger UI routes: everything from this server only, no inline
 * script at all, inline styles only the ones Swagger UI creates (by hash); `upgrade-insecure-requests`
 * only in production (over plain HTTP in development it would send the UI's assets to https://).
 */
export function swaggerUiCsp(options: { production: boolean; styleHashes?: string[] }): string {
  const styles = options.styleHashes ?? swaggerUiStyleHashes()
  const directives = [
    "default-src 'self'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
    "object-src 'none'",
    "script-src 'self'",
    "script-src-attr 'none'",
    `style-src 'self' ${styles.join(' ')}`.trim(),
    "font-src 'self' data:",
    "img-src 'self' data:",
    ...(options.production ? ['upgrade-insecure-requests'] : []),
  ]
  return directives.join('; ')
}
