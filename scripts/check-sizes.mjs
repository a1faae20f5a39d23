#!/usr/bin/env node
// Keeps the code readable: no hand-written source file under packages/*/src over 400 lines, no
// function over 80 (generated `*.gen.ts` excepted). Prints the largest of each, and fails above the limits.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'

const MAX_FILE_LINES = 400
const MAX_FUNCTION_LINES = 80
const root = join(import.meta.dirname, '..')

function* sources(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) yield* sources(path)
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts') && !name.endsWith('.gen.ts')) yield path
  }
}

const files = []
const functions = []
for (const pkg of readdirSync(join(root, 'packages'))) {
  const src = join(root, 'packages', pkg, 'src')
  try {
    statSync(src)
  } catch {
    continue
  }
  for (const path of sources(src)) {
    const text = readFileSync(path, 'utf8')
    const file = relative(root, path)
    files.push({ file, lines: text.split('\n').length })
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true)
    const visit = (node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart()).line
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line
        const name = node.name?.getText(source) ?? '(anonymous)'
        functions.push({ file, name, line: start + 1, lines: end - start + 1 })
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
}

files.sort((a, b) => b.lines - a.lines)
functions.sort((a, b) => b.lines - a.lines)
const bigFiles = files.filter((f) => f.lines > MAX_FILE_LINES)
const bigFunctions = functions.filter((f) => f.lines > MAX_FUNCTION_LINES)
console.log(
  `check-sizes: ${files.length} files, largest ${files[0]?.file} (${files[0]?.lines} lines); ` +
    `${functions.length} functions, longest ${functions[0]?.file}:${functions[0]?.line} ${functions[0]?.name} (${functions[0]?.lines} lines)`,
)
for (const f of bigFiles) console.error(`  file over ${MAX_FILE_LINES} lines: ${f.file} (${f.lines})`)
for (const f of bigFunctions)
  console.error(`  function over ${MAX_FUNCTION_LINES} lines: ${f.file}:${f.line} ${f.name} (${f.lines})`)
if (bigFiles.length > 0 || bigFunctions.length > 0) process.exit(1)
