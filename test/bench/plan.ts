// Plan benchmark (issue 4).
// - On the large host (test/bench/host.ts: 20,000 rules, 200 containers) with the
//   configuration that covers it (every network and container, a few hundred rules):
//   the planner alone, refresh + plan in-process (what `dockwall plan` does after
//   loading), and `dockwall plan --no-tty` end to end, as ratios to the refresh floor.
// - A small configuration on a small sandbox, `dockwall plan --no-tty` from process start
//   to exit; and which heavy packages it loads.
//   npm run build && npm run build:tools && node build/test/bench/plan.js [--quick]
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import type {Backend} from '../../src/model/types.js'
import {normalizeRuleSpec} from '../../src/netfilter/index.js'
import {makePlan} from '../../src/plan/planner.js'
import {refresh} from '../../src/refresh/refresh.js'
import {Sandbox} from '../sandbox/index.js'
import {DOCKWALL_VERSION} from '../../src/version.js'
import {BigHosts, FULL_SIZE, QUICK_SIZE, type BigHost} from './host.js'
import {
  figure,
  heavyLoaded,
  loadedPackages,
  measureRounds,
  renderTable,
  resolveOptions,
  runCli,
  type BenchOptions,
  type BenchReport,
  type Figure,
} from './lib.js'
import {floorRead} from './refresh.js'
import {SMALL_HCL} from './startup.js'

function planOnce(host: BigHost) {
  return async () => {
    const {actual} = await refresh({
      docker: host.docker,
      host: host.host,
      backend: 'auto',
      model: host.model,
      prior: null,
    })
    return makePlan(
      {model: host.model, actual, prior: null},
      {mode: 'normal', targets: [], dockwallVersion: DOCKWALL_VERSION, normalize: (s) => normalizeRuleSpec(s)},
    )
  }
}

async function largeHost(opts: BenchOptions, backend: Backend, host: BigHost, figures: Figure[]): Promise<void> {
  const section = `plan · ${backend} · ${host.setup.ruleLines} rule lines, ${host.size.containers} containers, ${host.model.rules.length} rule blocks (issue 4)`
  opts.log(`plan, large host, ${backend}...`)
  const {actual} = await refresh({
    docker: host.docker,
    host: host.host,
    backend: 'auto',
    model: host.model,
    prior: null,
  })
  const planArgs = [
    'plan',
    '--no-tty',
    '--detailed-exitcode',
    '-c',
    host.configDir,
    '--state',
    host.statePath,
    ...host.cliArgs(),
  ]
  const first = await runCli(planArgs, {env: host.cliEnv(), okExitCodes: [2]})
  if (first.exitCode !== 0)
    throw new Error(
      `dockwall plan on the large host should find no changes, exit code ${first.exitCode}:\n${first.stdout.slice(0, 2000)}`,
    )
  const r = await measureRounds(opts.iterations, {
    floor: () => floorRead(host),
    planner: () =>
      makePlan(
        {model: host.model, actual, prior: null},
        {mode: 'normal', targets: [], dockwallVersion: DOCKWALL_VERSION, normalize: (s) => normalizeRuleSpec(s)},
      ),
    inProcess: planOnce(host),
    cli: () => runCli(planArgs, {env: host.cliEnv()}),
  })
  const base = {label: 'refresh floor', stats: r.floor}
  figures.push(figure(section, 'refresh floor (iptables-save + container list, at once)', r.floor))
  figures.push(figure(section, 'makePlan() alone, on a refreshed host', r.planner, {baseline: base}))
  figures.push(figure(section, 'refresh() + makePlan(), in-process', r.inProcess, {baseline: base}))
  figures.push(
    figure(section, 'dockwall plan --no-tty, process start to exit (parse cache warm)', r.cli, {baseline: base}),
  )
}

/** A sandbox with the small configuration's network and containers, and a directory holding that configuration. */
export async function smallHost(backend: Backend, fn: (sb: Sandbox, dir: string) => Promise<void>): Promise<void> {
  const sb = await Sandbox.start({backend})
  const dir = await mkdtemp(join(tmpdir(), `dockwall-bench-small-${backend}-`))
  try {
    await sb.createNetwork('front', '10.10.1.0/24')
    await sb.runContainer('web', {network: 'front', ip: '10.10.1.10'})
    await sb.runContainer('client', {network: 'front'})
    await mkdir(join(dir, 'config'))
    await writeFile(join(dir, 'config', 'main.hcl'), SMALL_HCL)
    await fn(sb, dir)
  } finally {
    try {
      await sb.stop()
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  }
}

async function small(opts: BenchOptions, backend: Backend, figures: Figure[], notes: string[]): Promise<void> {
  opts.log(`plan, small configuration, ${backend}...`)
  await smallHost(backend, async (sb, dir) => {
    const section = `plan · ${backend} · small configuration (1 network, 2 containers, 3 rules), process start to exit (issue 4)`
    const args = [
      'plan',
      '--no-tty',
      '-c',
      join(dir, 'config'),
      '--state',
      join(dir, 'state.json'),
      '--netns',
      sb.netnsPath,
      '--docker-host',
      sb.dockerHost,
    ]
    const n = Math.max(opts.iterations, 5)
    const r = await measureRounds(n, {
      node: () => runCli(['--version']),
      plan: () => runCli(args),
    })
    const base = {label: 'dockwall --version', stats: r.node}
    figures.push(figure(section, 'dockwall --version (start-up alone, for comparison)', r.node))
    figures.push(figure(section, 'dockwall plan --no-tty', r.plan, {baseline: base}))
    const met = r.plan.median <= 0.4
    notes.push(
      `small plan (${backend}), whole process: ${r.plan.median.toFixed(3)} s median (issue 13 target ≤ 0.4 s: ${met ? 'met' : 'NOT met'})`,
    )
    const heavy = heavyLoaded(await loadedPackages(args))
    const ok = heavy.length === 0
    notes.push(
      `lazy imports, dockwall plan --no-tty (${backend}): loads ${heavy.join(', ') || 'none of the heavy packages'}${ok ? ' (as it should: Docker is read with the small reader, not dockerode; no ink without a terminal)' : ' — UNEXPECTED, should be none'}`,
    )
  })
}

/** The small configuration alone (`--only small-plan`): issue 13's 0.4 s, without the 20,000-line hosts. */
export async function smallPlans(options?: unknown): Promise<BenchReport> {
  const opts = resolveOptions(options)
  const figures: Figure[] = []
  const notes: string[] = []
  for (const backend of opts.backends) await small(opts, backend, figures, notes)
  return {bench: 'small-plan', figures, notes}
}

export async function main(options?: unknown): Promise<BenchReport> {
  const opts = resolveOptions(options)
  const own = opts.hosts ? undefined : new BigHosts(opts.quick ? QUICK_SIZE : FULL_SIZE, opts.log)
  const hosts = opts.hosts ?? own!
  const figures: Figure[] = []
  const notes: string[] = []
  try {
    for (const backend of opts.backends) await largeHost(opts, backend, await hosts.get(backend), figures)
    for (const backend of opts.backends) await small(opts, backend, figures, notes)
    return {bench: 'plan', figures, notes}
  } finally {
    await own?.stopAll()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick')
  const report = await main({quick, iterations: quick ? 3 : 5})
  console.log(renderTable(report.figures))
  for (const note of report.notes) console.log(note)
}
