// Checks each published package as it would be packed: README present, every `exports`/`main`/`types`
// target built and included in the tarball, engines declared. (cacheable's test-build idea.) And that
// no package pulls in a database store the host did not choose (see STORE_DEPENDENCIES below).
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const problems = []
let checked = 0

// The store packages (and their drivers) are chosen by the host: a package may take one as an
// optional peer dependency, never as a dependency. The composed server keeps SQLite, its embedded default.
const STORE_PACKAGES = ['@comp-manager/sqlite-store', '@comp-manager/mongo-store']
const STORE_DEPENDENCIES_ALLOWED = { '@comp-manager/server': ['@comp-manager/sqlite-store'] }

function targets(exportsField) {
  if (typeof exportsField === 'string') return [exportsField]
  if (exportsField === null || typeof exportsField !== 'object') return []
  return Object.values(exportsField).flatMap(targets)
}

for (const dir of readdirSync(join(root, 'packages'))) {
  const pkgDir = join(root, 'packages', dir)
  const manifestPath = join(pkgDir, 'package.json')
  if (!existsSync(manifestPath)) continue
  const pkg = JSON.parse(readFileSync(manifestPath, 'utf8'))
  const where = `${pkg.name} (packages/${dir})`
  for (const store of STORE_PACKAGES) {
    if (pkg.dependencies?.[store] === undefined) continue
    if (STORE_DEPENDENCIES_ALLOWED[pkg.name]?.includes(store)) continue
    problems.push(
      `${where}: ${store} is in "dependencies": a store is the host's choice. Make it an optional peer dependency (peerDependencies + peerDependenciesMeta: { "${store}": { "optional": true } }, and a devDependency for the package's own tests) and load it with import() when it is used`,
    )
  }
  if (pkg.private) continue
  checked++
  if (!existsSync(join(pkgDir, 'README.md'))) problems.push(`${where}: README.md missing`)
  if (!pkg.engines?.node) problems.push(`${where}: engines.node missing`)
  if (pkg.type !== 'module') problems.push(`${where}: not "type": "module"`)
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: pkgDir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  )[0].files.map((f) => f.path)
  const wanted = new Set([...targets(pkg.exports), pkg.main, pkg.types].filter(Boolean))
  for (const target of wanted) {
    const rel = target.replace(/^\.\//, '')
    if (rel === 'package.json') continue
    if (!existsSync(join(pkgDir, rel))) problems.push(`${where}: ${target} does not exist (not built?)`)
    else if (!packed.includes(rel)) problems.push(`${where}: ${target} is not in the packed tarball`)
  }
  if (!packed.includes('README.md')) problems.push(`${where}: README.md is not packed`)
}

// Changesets must parse (frontmatter of "package": bump lines) and name existing packages.
const names = new Set(
  readdirSync(join(root, 'packages'))
    .map((dir) => join(root, 'packages', dir, 'package.json'))
    .filter((file) => existsSync(file))
    .map((file) => JSON.parse(readFileSync(file, 'utf8')).name),
)
for (const file of readdirSync(join(root, '.changeset')).filter(
  (f) => f.endsWith('.md') && f !== 'README.md',
)) {
  const text = readFileSync(join(root, '.changeset', file), 'utf8')
  const front = /^---\n([\s\S]*?)\n---\n/.exec(text)
  if (!front) {
    problems.push(`.changeset/${file}: missing the --- frontmatter block`)
    continue
  }
  for (const line of front[1].split('\n').filter((l) => l.trim() !== '')) {
    const m = /^["']([^"']+)["']:\s*(major|minor|patch)\s*$/.exec(line.trim())
    if (!m) problems.push(`.changeset/${file}: cannot read "${line}"`)
    else if (!names.has(m[1])) problems.push(`.changeset/${file}: unknown package ${m[1]}`)
  }
}

if (problems.length > 0) {
  console.error(`package checks: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`)
  process.exit(1)
}
console.log(`package checks: ${checked} packages ok`)
