// Ink costs ~0.4 s to import (docs/ARCHITECTURE.md, "Start-up"). Commands import src/ui/index.ts;
// nothing it reaches through static imports may load ink or react. Only a
// dynamic import() may cross to the Ink views.
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import {reachablePackages, staticImports} from '../../helpers/imports.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

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
