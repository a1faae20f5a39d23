// Regenerates the configuration table of packages/server/README.md from the server's schema of its
// environment variables (`ServerEnvSchema`, packages/server/src/config/): one row per variable with its
// default, what it accepts and its description, linked to the README's section about it.
//
//   node scripts/generate-config-docs.mjs          rewrite the table
//   node scripts/generate-config-docs.mjs --check  exit 1 when the committed table differs
//
// Needs the built server (`pnpm build`, or `turbo run build --filter=@comp-manager/server...`).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = join(import.meta.dirname, '..')
const readmePath = join(root, 'packages/server/README.md')
const entry = join(root, 'packages/server/dist/config/readme.js')
const args = process.argv.slice(2)
const check = args.includes('--check')
const unknown = args.filter((a) => a !== '--check')
if (unknown.length > 0) {
  console.error(
    `generate-config-docs: unknown argument ${unknown[0]}\nusage: node scripts/generate-config-docs.mjs [--check]`,
  )
  process.exit(2)
}
if (!existsSync(entry)) {
  console.error(
    `generate-config-docs: the server is not built (${relative(root, entry)} is missing): run \`npx -y pnpm@10.34.9 build\` first`,
  )
  process.exit(1)
}

const { updateConfigDocs } = await import(pathToFileURL(entry).href)
const readme = readFileSync(readmePath, 'utf8')
const updated = updateConfigDocs(readme)
if (check) {
  if (updated !== readme) {
    console.error(
      `generate-config-docs: the configuration table of ${relative(root, readmePath)} is out of date: run \`node scripts/generate-config-docs.mjs\``,
    )
    process.exit(1)
  }
  console.log(`generate-config-docs: ${relative(root, readmePath)} is up to date`)
} else if (updated !== readme) {
  writeFileSync(readmePath, updated)
  console.log(`generate-config-docs: wrote ${relative(root, readmePath)}`)
} else {
  console.log(`generate-config-docs: ${relative(root, readmePath)} was up to date`)
}
