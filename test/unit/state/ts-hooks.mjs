// Module hooks for ts-loader.mjs: `./x.js` falls back to `./x.ts` (the sources
// import with .js, as NodeNext wants), and .ts files are transpiled one by one
// with TypeScript (types erased, no type check: vitest and tsc do that).
import {readFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

import ts from 'typescript'

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context)
  } catch (error) {
    if (/^(\.|\/|file:)/.test(specifier) && specifier.endsWith('.js')) {
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context)
    }
    throw error
  }
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context)
  const fileName = fileURLToPath(url)
  const source = await readFile(fileName, 'utf8')
  const {outputText} = ts.transpileModule(source, {
    fileName,
    compilerOptions: {module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false},
  })
  return {format: 'module', source: outputText, shortCircuit: true}
}
