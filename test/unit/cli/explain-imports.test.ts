// `dockwall explain` without --planned often runs where there is no configuration and no
// state (issue 16: an answer in ≤ 1 s on a 20,000-rule host). Its static imports must not
// reach the configuration loader, the state's decoder and lock (zod's schemas: ~0.9 MB of
// bundled JavaScript to compile), the plan pipeline or dockerode: those load through
// import() when there is something for them to do.
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {AbortError} from '../../../src/errors.js'
import {readShowContext} from '../../../src/services/show-context.js'
import {reachableModules, reachablePackages} from '../../helpers/imports.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

describe('explain start-up', () => {
  it('reaches neither zod nor dockerode through static imports', () => {
    const pkgs = [...reachablePackages(resolve(root, 'commands/explain.ts')).keys()]
    expect(pkgs.filter((p) => /^(zod|dockerode)(\/|$)/.test(p))).toEqual([])
  })

  it("bin/run.js's routes reach no oclif, and explain's neither zod nor dockerode", () => {
    const route = [...reachablePackages(resolve(root, 'src/cli/fast-route.ts')).keys()]
    expect(route.filter((p) => /^(@oclif\/|zod|dockerode)/.test(p))).toEqual([])
    const flows = ['plan-flow', 'validate-flow', 'explain-flow']
    for (const f of flows) {
      const pkgs = [...reachablePackages(resolve(root, `src/cli/${f}.ts`)).keys()]
      expect({f, oclif: pkgs.filter((p) => p.startsWith('@oclif/'))}).toEqual({f, oclif: []})
    }
  })

  it('reaches the configuration loader, the state decoder and lock, and the plan pipeline only through import()', () => {
    const mods = [...reachableModules(resolve(root, 'commands/explain.ts'))].map((f) => relative(root, f))
    const heavy = mods.filter(
      (m) =>
        m === 'src/config/index.ts' ||
        m === 'src/config/schema.ts' ||
        m === 'src/state/index.ts' ||
        m === 'src/state/format.ts' ||
        m === 'src/state/lock.ts' ||
        m === 'src/state/store.ts' ||
        m === 'src/services/pipeline.ts' ||
        m === 'src/services/prepare.ts',
    )
    expect(heavy).toEqual([])
  })
})

describe('plan start-up', () => {
  it('reaches neither the apply engine, the explain evaluator nor the confirm window through static imports', () => {
    // Loaded through import() when there is something for them to do: assertions in the
    // configuration, a pending confirmation beside the state, an apply.
    const mods = [...reachableModules(resolve(root, 'src/cli/plan-flow.ts'))].map((f) => relative(root, f))
    const heavy = mods.filter(
      (m) =>
        m === 'src/apply/engine.ts' ||
        m === 'src/services/apply.ts' ||
        m === 'src/services/pipeline.ts' ||
        m === 'src/services/confirm.ts' ||
        m === 'src/services/planfile.ts' ||
        m.startsWith('src/explain/'),
    )
    expect(heavy).toEqual([])
  })
})

describe('readShowContext', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dockwall-show-context-'))
  })
  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('without a configuration or a state file: neither, and no warning', async () => {
    const warnings: string[] = []
    const ctx = await readShowContext({config: dir, state: join(dir, 'dockwall.state.json'), lockTimeoutMs: 0}, (w) =>
      warnings.push(w),
    )
    expect(ctx).toEqual({model: null, statePath: join(dir, 'dockwall.state.json'), state: null})
    expect(warnings).toEqual([])
  })

  it('a state file there is read (and refused when broken), as before', async () => {
    const statePath = join(dir, 'dockwall.state.json')
    await writeFile(statePath, '{"version": "nonsense"}\n')
    await expect(readShowContext({config: dir, state: statePath, lockTimeoutMs: 0}, () => {})).rejects.toBeInstanceOf(
      AbortError,
    )
  })
})
