// Checks every publishable package as npm would publish it: packs it (`npm pack`, into a temp dir),
// then runs `publint` and `@arethetypeswrong/cli` (profile `esm-only`: the packages are ESM only)
// on the tarball, and checks that no published `.d.ts` imports a module the package does not
// declare (dependencies / peerDependencies / Node built-ins): such an import fails a host compiled
// with `skipLibCheck: false` (TS7016), as `better-sqlite3` did in sqlite-store (issue #15).
// Needs the packages built. Exit 1 on any problem.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'

const root = join(import.meta.dirname, '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)
const out = mkdtempSync(join(tmpdir(), 'cm-publish-'))
const problems = []
let checked = 0

function run(cmd, args, cwd) {
  try {
    return { ok: true, text: execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: 'pipe' }) }
  } catch (err) {
    return { ok: false, text: `${err.stdout ?? ''}${err.stderr ?? ''}` }
  }
}

function dtsFiles(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
}

/** The package a bare specifier names: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageOf(specifier) {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/** Whether the installed package `name` (as `pkgDir` resolves it) carries its own types. */
function shipsTypes(pkgDir, name) {
  const manifest = join(pkgDir, 'node_modules', name, 'package.json')
  if (!existsSync(manifest)) return true // a peer not installed here: cannot tell, do not guess
  const dep = JSON.parse(readFileSync(manifest, 'utf8'))
  return (
    Boolean(dep.types || dep.typings || JSON.stringify(dep.exports ?? {}).includes('"types"')) ||
    ['', 'dist', 'lib', 'types'].some((sub) => {
      const d = join(pkgDir, 'node_modules', name, sub)
      return existsSync(d) && readdirSync(d).some((f) => /\.d\.[cm]?ts$/.test(f))
    })
  )
}

const builtins = new Set(builtinModules)
for (const dir of readdirSync(join(root, 'packages'))) {
  const pkgDir = join(root, 'packages', dir)
  const manifest = join(pkgDir, 'package.json')
  if (!existsSync(manifest)) continue
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'))
  if (pkg.private) continue
  checked++
  const declared = new Set([
    pkg.name,
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
  ])
  for (const file of dtsFiles(join(pkgDir, 'dist'))) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1]
      if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue
      const name = packageOf(spec)
      if (!declared.has(name))
        problems.push(
          `${pkg.name}: ${relative(pkgDir, file)} imports '${spec}', which is not a dependency or peer dependency (TS7016 under skipLibCheck: false)`,
        )
      else if (
        !shipsTypes(pkgDir, name) &&
        !declared.has(`@types/${name.replace('@', '').replace('/', '__')}`)
      )
        problems.push(
          `${pkg.name}: ${relative(pkgDir, file)} imports '${spec}', whose types are not in the package nor in a declared @types package (TS7016 under skipLibCheck: false)`,
        )
    }
  }
  const packed = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], pkgDir)
  if (!packed.ok) {
    problems.push(`${pkg.name}: npm pack failed\n${packed.text}`)
    continue
  }
  const tarball = join(out, JSON.parse(packed.text)[0].filename)
  const lint = run(bin('publint'), ['run', tarball, '--level', 'warning'], root)
  if (!lint.ok || /warning|error/i.test(lint.text.replace(/No issues found/i, '')))
    problems.push(`${pkg.name}: publint\n${lint.text.trim()}`)
  const types = run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], root)
  if (!types.ok) problems.push(`${pkg.name}: @arethetypeswrong/cli\n${types.text.trim()}`)
}
rmSync(out, { recursive: true, force: true })

if (problems.length > 0) {
  console.error(`check-publish: ${problems.length} problem(s) in ${checked} packages:`)
  for (const p of problems) console.error(`- ${p}`)
  process.exit(1)
}
console.log(
  `check-publish: ${checked} packages packed; publint and attw (esm-only) clean, published types self-contained`,
)
