/** Chromium through playwright-core (Debian's `chromium`), or null when it is not installed. */
import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import type { RunningServer } from './server.js'

export const SHOTS = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url))

export function chromiumPath(): string | null {
  for (const path of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (path !== undefined && path !== '' && existsSync(path)) return path
  }
  return null
}

export async function launch(executablePath: string): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true })
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] })
}

export const WIDTHS = { wide: { width: 1280, height: 900 }, narrow: { width: 390, height: 844 } } as const

/** A new page of a fresh context (its own sessionStorage), collecting CSP violations and page errors. */
export async function newPage(browser: Browser, width: keyof typeof WIDTHS = 'wide') {
  const context = await browser.newContext({ viewport: WIDTHS[width] })
  const page = await context.newPage()
  page.setDefaultTimeout(60_000)
  const problems: string[] = []
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`))
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) problems.push(msg.text())
  })
  return { page, problems, close: () => context.close() }
}

/** Signs in through the sign-in page, with a token or an API key. */
export async function signIn(
  page: Page,
  server: RunningServer,
  secret: string,
  mode: 'token' | 'key' = 'token',
) {
  await page.goto(`${server.url}/dashboard/`)
  if (mode === 'key') await page.getByLabel('an API key').check()
  await page.locator('#secret').fill(secret)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.locator('[data-testid="role"]').waitFor()
}

/** Screenshots of the current page at both widths. */
export async function shoot(page: Page, name: string) {
  for (const [label, size] of Object.entries(WIDTHS)) {
    await page.setViewportSize(size)
    await page.screenshot({ path: `${SHOTS}${name}-${size.width}.png`, fullPage: true })
    void label
  }
  await page.setViewportSize(WIDTHS.wide)
}
