// The static import graph of a source module, for tests that keep heavy modules off a
// command's start-up path (docs/ARCHITECTURE.md, "Start-up"). Reads the TypeScript sources.
import {readFileSync} from 'node:fs'
import {dirname, resolve} from 'node:path'

/** Value (not `import type`) static imports of a module: `import … from 'x'` and `export … from 'x'`. */
export function staticImports(file: string): string[] {
  const src = readFileSync(file, 'utf8')
  const out: string[] = []
  for (const m of src.matchAll(/^(?:import|export)\s+(type\s+)?[^'";]*?\sfrom\s+'([^']+)'/gms))
    if (!m[1]) out.push(m[2] ?? '')
  for (const m of src.matchAll(/^import\s+'([^']+)'/gm)) out.push(m[1] ?? '')
  return out
}

function resolveLocal(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null
  const js = resolve(dirname(from), spec)
  for (const candidate of [js.replace(/\.js$/, '.ts'), js.replace(/\.js$/, '.tsx')]) {
    try {
      readFileSync(candidate)
      return candidate
    } catch {
      // try the next extension
    }
  }
  throw new Error(`cannot resolve ${spec} from ${from}`)
}

/** The static import graph reached from `entry`: its local modules (`entry` included) and the packages, each with a file that imports it. */
export function importGraph(entry: string): {modules: Set<string>; packages: Map<string, string>} {
  const modules = new Set<string>()
  const packages = new Map<string, string>()
  const walk = (file: string) => {
    if (modules.has(file)) return
    modules.add(file)
    for (const spec of staticImports(file)) {
      const local = resolveLocal(file, spec)
      if (local) walk(local)
      else packages.set(spec, file)
    }
  }
  walk(entry)
  return {modules, packages}
}

/** Every local module reached from `entry` through static imports (its own path included). */
export const reachableModules = (entry: string): Set<string> => importGraph(entry).modules

/** Every package reached from `entry` through static imports, with the file that imports it. */
export const reachablePackages = (entry: string): Map<string, string> => importGraph(entry).packages
