// Whole-process benchmark (issue 13): the `dockwall` commands a user runs, timed from
// process start to exit, against the floor any reconciler written in Node must pay on
// the same machine in the same run: a bare `node` start, plus one iptables-save and one
// iptables-restore of the same lines. Target: at most 2x that floor, and linear growth
// (the large size over the small one at most 4.5x for 4x the rules).
//
// The configuration is N `rule` resources of one iptables line each, in a .hcl.json
// file, applied to an empty sandbox host. Measured, in rounds with the floor:
//   apply        on an empty host (the host is reset between runs)
//   apply-one    a second apply that changes one rule out of N
//   plan         a plan with nothing to do; and plan --json
//   destroy      of the N rules
//   watch --once one reconciliation that changes one rule
// One more apply runs under --cpu-prof, and its time is attributed to start-up and
// module loading, each part of dockwall (src/config, src/plan...), garbage collection
// and waiting (for iptables and Docker), printed as a note.
//
//   npm run build && npm run build:tools && node build/test/bench/whole.js [--quick]
import {readFileSync} from 'node:fs'
import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import type {Backend} from '../../src/model/types.js'
import {run} from '../../src/util/exec.js'
import {Sandbox} from '../sandbox/index.js'
import {
  figure,
  measureRounds,
  renderTable,
  resolveOptions,
  runCli,
  secs,
  type BenchOptions,
  type BenchReport,
  type Figure,
  type Stats,
} from './lib.js'

/** A configuration of `n` rule resources, one iptables line each; `variant` changes the port of rule 0. */
export function wholeConfig(n: number, variant = 0): string {
  const rule: Record<string, unknown[]> = {}
  for (let i = 0; i < n; i++) {
    rule[`r${String(i).padStart(5, '0')}`] = [
      {
        from: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        to: '172.20.0.0/16',
        proto: 'tcp',
        port: i === 0 ? 1000 + variant : 1000 + (i % 5000),
        priority: 100,
      },
    ]
  }
  return `${JSON.stringify({rule}, null, 1)}\n`
}

interface Host {
  sb: Sandbox
  backend: Backend
  dir: string
}

function ownedLineCount(save: string): number {
  return save.split('\n').filter((l) => l.startsWith('-A DOCKWALL-FORWARD ')).length
}

/** Back to the namespace as Docker made it: dockwall's chain and jump gone, no state. */
async function reset(h: Host, configDir: string): Promise<void> {
  const ipt = (args: string[]) => h.sb.iptables(args, {okExitCodes: [1, 2]})
  await ipt(['-D', 'DOCKER-USER', '-m', 'comment', '--comment', 'dockwall:jump', '-j', 'DOCKWALL-FORWARD'])
  await ipt(['-F', 'DOCKWALL-FORWARD'])
  await ipt(['-X', 'DOCKWALL-FORWARD'])
  for (const f of ['state.json', 'state.json.backup']) await rm(join(configDir, f), {force: true})
}

/**
 * Where each line of a bundled file came from: esbuild starts every module it bundles with a
 * comment naming it (`// dist/src/plan/firewall-changes.js`, `// node_modules/zod/v4/...`).
 * Sorted by line (0-based, as a profile's callFrame.lineNumber).
 */
export function bundledModules(text: string): Array<{line: number; path: string}> {
  const out: Array<{line: number; path: string}> = []
  let line = 0
  for (const l of text.split('\n')) {
    const m = /^\/\/ ((?:dist|node_modules)\/\S+\.[cm]?js)$/.exec(l)
    if (m) out.push({line, path: m[1]!})
    line++
  }
  return out
}

/** The part of dockwall (src/plan, commands) or the package a bundled module path belongs to. */
function partOf(path: string): string {
  const pkg = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
  if (pkg) return `package ${pkg[1]}`
  return /(?:^|\/)dist\/(src\/[^/]+|commands)/.exec(path)?.[1] ?? 'other'
}

/**
 * Self time of a --cpu-prof profile by where the code lives, in seconds: src/config,
 * src/plan, src/state... For the bundled files (the routes' fast-route.cjs, the chunks) the
 * module is found by the frame's line among the bundle's module comments, read with `source`.
 */
export function attribute(
  profile: {
    nodes: Array<{id: number; callFrame: {functionName: string; url: string; lineNumber?: number}}>
    samples: number[]
    timeDeltas: number[]
  },
  source: (url: string) => string | undefined = () => undefined,
): Array<[string, number]> {
  const bundles = new Map<string, Array<{line: number; path: string}>>()
  const modulesOf = (url: string) => {
    let mods = bundles.get(url)
    if (!mods) bundles.set(url, (mods = bundledModules(source(url) ?? '')))
    return mods
  }
  const where = new Map<number, string>()
  for (const n of profile.nodes) {
    const {url, functionName, lineNumber = 0} = n.callFrame
    let k: string
    if (functionName === '(garbage collector)') k = 'garbage collection'
    else if (functionName === '(idle)' || functionName === '(program)') k = 'waiting (iptables, Docker, I/O)'
    else if (url.startsWith('node:') || url === '') k = 'node internals (start-up, module loading, I/O)'
    else if (url.includes('/node_modules/')) k = partOf(url)
    else {
      const mods = modulesOf(url)
      // The last module comment at or above the line; before the first, the bundle's own preamble.
      let lo = 0
      let hi = mods.length - 1
      let at: string | undefined
      while (lo <= hi) {
        const mid = (lo + hi) >> 1
        if (mods[mid]!.line <= lineNumber) {
          at = mods[mid]!.path
          lo = mid + 1
        } else hi = mid - 1
      }
      k = partOf(at ?? url)
    }
    where.set(n.id, k)
  }
  const totals = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const k = where.get(id) ?? 'other'
    totals.set(k, (totals.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1e6)
  })
  return [...totals.entries()].sort((a, b) => b[1] - a[1])
}

/** A profile's file:// URL read as text; undefined when it is not a readable file. */
function readUrl(url: string): string | undefined {
  try {
    return url.startsWith('file://') ? readFileSync(fileURLToPath(url), 'utf8') : undefined
  } catch {
    return undefined
  }
}

async function measureSize(
  opts: BenchOptions,
  h: Host,
  n: number,
  figures: Figure[],
  notes: string[],
): Promise<Record<string, Stats>> {
  const configDir = join(h.dir, `n${n}`)
  await run('mkdir', ['-p', configDir])
  const configFile = join(configDir, 'main.hcl.json')
  const write = (variant: number) => writeFile(configFile, wholeConfig(n, variant))
  await write(0)
  const netns = {kind: 'path' as const, path: h.sb.netnsPath}
  const host = ['-c', configDir, '--state', join(configDir, 'state.json'), '--netns', h.sb.netnsPath]
  const common = [...host, '--docker-host', h.sb.dockerHost, '--no-tty']
  const env = {DOCKWALL_CACHE_DIR: join(h.dir, 'cache')}
  const cli = (args: string[], ok: number[] = []) => runCli([...args, ...common], {env, okExitCodes: ok})
  const save = `iptables-${h.backend}-save`
  const restore = `iptables-${h.backend}-restore`

  // The floor's restore input is exactly the transaction dockwall writes, from a saved plan.
  await reset(h, configDir)
  const planFile = join(configDir, 'floor.plan')
  await cli(['plan', '--out', planFile])
  const saved = JSON.parse(await readFile(planFile, 'utf8')) as {plan: {firewall: Array<{input: string}>}}
  const input = saved.plan.firewall.map((t) => t.input).join('')
  const check = async (what: string, want: number): Promise<void> => {
    const got = ownedLineCount((await run(save, ['-t', 'filter'], {netns})).stdout)
    if (got !== want) throw new Error(`${what}: DOCKWALL-FORWARD holds ${got} lines, expected ${want}`)
  }
  // n rules plus the firewall's accept of replies.
  const lines = ownedLineCount(input)
  if (lines !== n + 1) throw new Error(`the plan writes ${lines} lines for ${n} rules`)
  await cli(['apply', '--auto-approve'])
  await check('dockwall apply', lines)
  await reset(h, configDir)
  await run(restore, ['-w', '--noflush'], {netns, input})
  await check('the raw restore', lines)

  // Alternating configurations: each run of these changes exactly one rule.
  let variant = 0
  const flip = async () => write(++variant % 2)
  const applied = async () => {
    await reset(h, configDir)
    await write((variant = 0))
    await cli(['apply', '--auto-approve'])
  }

  opts.log(`whole process, ${h.backend}, ${n} rules...`)
  const r = await measureRounds(
    opts.iterations,
    {
      node: () => run(process.execPath, ['-e', '0']),
      restore: () => run(restore, ['-w', '--noflush'], {netns, input}),
      save: () => run(save, [], {netns}),
      apply: () => cli(['apply', '--auto-approve']),
      plan: () => cli(['plan', '--detailed-exitcode']),
      planJson: () => cli(['plan', '--json']),
      applyOne: async () => {
        await flip()
        return cli(['apply', '--auto-approve'])
      },
      watchOnce: async () => {
        await flip()
        return runCli(['watch', '--once', ...host, '--docker-host', h.sb.dockerHost], {env})
      },
      destroy: () => cli(['destroy', '--auto-approve']),
    },
    {
      between: {
        // restore writes into an empty host, save reads what it wrote, apply starts from an empty host.
        node: () => reset(h, configDir),
        save: () => reset(h, configDir),
        apply: async () => check('apply', lines),
        destroy: applied,
      },
    },
  )
  const floor: Stats = {
    median: r.node.median + r.save.median + r.restore.median,
    min: r.node.min + r.save.min + r.restore.min,
    max: r.node.max + r.save.max + r.restore.max,
    runs: r.node.runs,
    all: [],
  }
  const section = `whole process · ${h.backend} · ${n.toLocaleString('en-US')} rule resources (issue 13)`
  const base = {label: 'floor', stats: floor}
  const target = {maxRatio: 2, issue: 13}
  figures.push(figure(section, 'floor: node start + iptables-save + iptables-restore of the same lines', floor))
  figures.push(figure(section, '  node -e 0', r.node))
  figures.push(figure(section, `  ${save}`, r.save))
  figures.push(figure(section, `  ${restore} --noflush`, r.restore))
  figures.push(figure(section, 'dockwall apply --auto-approve (empty host)', r.apply, {baseline: base, target}))
  figures.push(figure(section, 'dockwall apply --auto-approve (1 rule changed)', r.applyOne, {baseline: base, target}))
  figures.push(figure(section, 'dockwall plan (no changes)', r.plan, {baseline: base, target}))
  figures.push(figure(section, 'dockwall plan --json (no changes)', r.planJson, {baseline: base, target}))
  figures.push(figure(section, 'dockwall watch --once (1 rule changed)', r.watchOnce, {baseline: base, target}))
  figures.push(figure(section, 'dockwall destroy --auto-approve', r.destroy, {baseline: base, target}))

  // Where an apply's time goes.
  await reset(h, configDir)
  await write((variant = 0))
  const profDir = await mkdtemp(join(tmpdir(), 'dockwall-prof-'))
  try {
    const t0 = performance.now()
    await runCli(['apply', '--auto-approve', ...common], {env, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir]})
    const wall = (performance.now() - t0) / 1000
    const file = (await readdir(profDir)).find((f) => f.endsWith('.cpuprofile'))
    if (file) {
      const parts = attribute(JSON.parse(await readFile(join(profDir, file), 'utf8')), readUrl)
      notes.push(
        `${h.backend}, ${n} rules, one apply under --cpu-prof (${secs(wall)} wall, profiling included): ${parts
          .filter(([, s]) => s >= 0.005)
          .map(([k, s]) => `${k} ${secs(s)}`)
          .join(', ')}`,
      )
    }
  } finally {
    await rm(profDir, {recursive: true, force: true})
  }
  return r
}

export async function main(options?: unknown): Promise<BenchReport> {
  const opts = resolveOptions(options)
  const sizes = opts.quick ? [1_000, 4_000] : [5_000, 20_000]
  const figures: Figure[] = []
  const notes: string[] = []
  for (const backend of opts.backends) {
    const sb = await Sandbox.start({backend, image: false})
    const dir = await mkdtemp(join(tmpdir(), 'dockwall-bench-whole-'))
    try {
      const h: Host = {sb, backend, dir}
      const [small, large] = [
        await measureSize(opts, h, sizes[0]!, figures, notes),
        await measureSize(opts, h, sizes[1]!, figures, notes),
      ]
      const growth = (k: string) => (large[k]!.median / small[k]!.median).toFixed(2)
      notes.push(
        `${backend}: growth ${sizes[1]} / ${sizes[0]} rules (target ≤ 4.5x): apply ${growth('apply')}x, apply-one ${growth('applyOne')}x, plan ${growth('plan')}x, plan --json ${growth('planJson')}x, watch ${growth('watchOnce')}x, destroy ${growth('destroy')}x; floor pieces: restore ${growth('restore')}x, save ${growth('save')}x`,
      )
    } finally {
      await sb.stop()
      await rm(dir, {recursive: true, force: true})
    }
  }
  return {bench: 'whole', figures, notes}
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const report = await main({quick: process.argv.includes('--quick')})
  console.log(renderTable(report.figures))
  for (const n of report.notes) console.log(`- ${n}`)
}
