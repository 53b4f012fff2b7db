// Ink costs ~0.4 s to import (docs/ARCHITECTURE.md, "Start-up"). Commands import src/ui/index.ts;
// nothing it reaches through static imports may load ink or react. Only a
// dynamic import() may cross to the Ink views.
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

/** Value (not `import type`) static imports of a module: `import … from 'x'` and `export … from 'x'`. */
function staticImports(file: string): string[] {
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

/** Every package reached from `entry` through static imports, with the file that imports it. */
function reachablePackages(entry: string): Map<string, string> {
  const seen = new Set<string>()
  const packages = new Map<string, string>()
  const walk = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const spec of staticImports(file)) {
      const local = resolveLocal(file, spec)
      if (local) walk(local)
      else packages.set(spec, file)
    }
  }
  walk(entry)
  return packages
}

describe('the UI entry module', () => {
  it('never loads ink or react statically', () => {
    const pkgs = reachablePackages(resolve(root, 'src/ui/index.ts'))
    const heavy = [...pkgs].filter(
      ([p]) => p === 'ink' || p.startsWith('ink/') || p === 'react' || p.startsWith('react/'),
    )
    expect(heavy).toEqual([])
    // It does reach the light things it needs: the actual view judges ownership as import
    // does (iptables parsing: ipaddr.js; the netfilter index: execa, and node:fs for the legacy
    // table names read through /proc), which every command loads anyway.
    expect([...pkgs.keys()].sort()).toEqual(['diff', 'execa', 'ipaddr.js', 'node:fs', 'node:readline'])
  })

  it('reaches the Ink views only through import()', () => {
    const index = readFileSync(resolve(root, 'src/ui/index.ts'), 'utf8')
    expect(index).toContain("await import('./plan-review.js')")
    const reporter = readFileSync(resolve(root, 'src/ui/apply-reporter.ts'), 'utf8')
    expect(reporter).toContain("import('./apply-progress.js')")
  })

  it('is the only UI module commands import, and commands never import ink', () => {
    const dir = resolve(root, 'commands')
    const files = readdirSync(dir, {recursive: true, encoding: 'utf8'}).filter((f) => /\.tsx?$/.test(f))
    for (const f of files) {
      for (const spec of staticImports(resolve(dir, f))) {
        expect(spec, `${f} imports ${spec}`).not.toMatch(/^(ink|react)(\/|$)/)
        if (spec.includes('/src/ui/')) expect(spec, `${f} imports ${spec}`).toMatch(/\/src\/ui\/index\.js$/)
      }
    }
  })
})
