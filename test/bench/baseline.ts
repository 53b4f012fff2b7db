// A/B against an older build of dockwall (issue 12: "no more than 15% over today's ratios"):
// the same host, the two builds interleaved, each next to the floor measured in the same run.
// CPU time (this process and every process it waited for: the CLI, its iptables processes) is
// printed beside wall time, because on a loaded machine wall time says little.
//   npm run build && npm run build:tools
//   node build/test/bench/baseline.js --baseline /path/to/old/checkout [--backends nft,legacy] [--only refresh,plan,small-plan,apply] [--quick]
// The baseline checkout must be built (`npm ci && npm run build && npm run build:tools` there).
// Figures: on the 20,000-rule, 200-container host of refresh.ts, refresh() in process (against
// one save plus one container list) and `dockwall plan` of the covering configuration, whole
// process (against node start plus that floor); and `dockwall apply --auto-approve` of 20,000
// rule resources on an empty host, whole process (against node start + one save + one restore).
import {readFileSync} from 'node:fs'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

import type {Backend} from '../../src/model/types.js'
import {refresh} from '../../src/refresh/refresh.js'
import {run} from '../../src/util/exec.js'
import {Sandbox} from '../sandbox/index.js'
import {BigHosts, FULL_SIZE, QUICK_SIZE} from './host.js'
import {REPO_ROOT} from './lib.js'
import {smallHost} from './plan.js'
import {floorRead} from './refresh.js'
import {wholeConfig} from './whole.js'

type Refresh = typeof refresh

/** CPU milliseconds of this process plus the children it has waited for (and theirs). */
function cpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')
  const ticks = Number(fields[13]) + Number(fields[14]) // cutime, cstime (USER_HZ = 100)
  const own = process.cpuUsage()
  return (own.user + own.system) / 1000 + ticks * 10
}

interface Sample {
  cpu: number[]
  wall: number[]
}

async function sample(into: Sample, f: () => Promise<unknown>): Promise<void> {
  const c = cpuMs()
  const w = performance.now()
  await f()
  into.wall.push(performance.now() - w)
  into.cpu.push(cpuMs() - c)
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1] ?? NaN

function report(title: string, arms: Record<string, Sample>, floorArm: string): void {
  const f = arms[floorArm]!
  console.log(`${title}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
  for (const [name, s] of Object.entries(arms)) {
    const cpu = median(s.cpu)
    const wall = median(s.wall)
    console.log(
      `  ${name.padEnd(34)} cpu ${cpu.toFixed(0).padStart(6)} ms ${(cpu / median(f.cpu)).toFixed(2)}x   wall ${wall.toFixed(0).padStart(6)} ms ${(wall / median(f.wall)).toFixed(2)}x`,
    )
  }
}

/**
 * Each arm once (to warm the parse caches and the page cache), then `rounds` rounds of every
 * arm in turn, `before` ahead of each run; reported against `floorArm`.
 */
async function interleaved(
  title: string,
  arms: Record<string, () => Promise<unknown>>,
  floorArm: string,
  rounds: number,
  before: () => Promise<void> = async () => {},
): Promise<void> {
  const samples = Object.fromEntries(Object.keys(arms).map((k) => [k, {cpu: [], wall: []} as Sample]))
  for (const f of Object.values(arms)) {
    await before()
    await f()
  }
  for (let i = 0; i < rounds; i++)
    for (const [k, f] of Object.entries(arms)) {
      await before()
      await sample(samples[k]!, f)
    }
  report(title, samples, floorArm)
}

async function refreshAB(baseline: string, hosts: BigHosts, backend: Backend, rounds: number): Promise<void> {
  const old = (await import(pathToFileURL(join(baseline, 'build/src/refresh/refresh.js')).href)) as {refresh: Refresh}
  const host = await hosts.get(backend)
  const call = (f: Refresh, covering: boolean) => () =>
    f({docker: host.docker, host: host.host, backend: 'auto', model: covering ? host.model : null, prior: null})
  const arms: Record<string, () => Promise<unknown>> = {
    floor: () => floorRead(host),
    'baseline refresh(), no configuration': call(old.refresh, false),
    'this refresh(), no configuration': call(refresh, false),
    'baseline refresh(), covering': call(old.refresh, true),
    'this refresh(), covering': call(refresh, true),
  }
  await interleaved(
    `refresh · ${backend} · ${host.setup.ruleLines} rule lines, ${host.size.containers} containers · median of ${rounds}, interleaved`,
    arms,
    'floor',
    rounds,
  )
}

/**
 * `dockwall plan` of the covering configuration on the large host (no changes), whole process:
 * what a user runs, so the refresh's cost counts with the start-up and planning around it.
 */
async function planAB(baseline: string, hosts: BigHosts, backend: Backend, rounds: number): Promise<void> {
  const host = await hosts.get(backend)
  const state = join(host.dir, 'none.state.json') // never written: plan with no state
  const cli = (root: string) => () =>
    run(
      process.execPath,
      [
        join(root, 'bin/run.js'),
        'plan',
        '--no-tty',
        '--detailed-exitcode',
        '-c',
        host.configDir,
        '--state',
        state,
      ].concat(host.cliArgs()),
      {env: {NO_COLOR: '1', SSH_CONNECTION: '', ...host.cliEnv()}, okExitCodes: [2]},
    )
  const arms: Record<string, () => Promise<unknown>> = {
    'floor: node + save + container list': async () => {
      await run(process.execPath, ['-e', '0'])
      await floorRead(host)
    },
    'baseline dockwall plan': cli(baseline),
    'this dockwall plan': cli(REPO_ROOT),
  }
  await interleaved(
    `plan · ${backend} · ${host.setup.ruleLines} rule lines, ${host.size.containers} containers, covering configuration · whole process · median of ${rounds}, interleaved`,
    arms,
    'floor: node + save + container list',
    rounds,
  )
}

/** `dockwall plan` of plan.ts's small configuration (issue 13: 0.4 s), whole process, against a bare node start. */
async function smallPlanAB(baseline: string, backend: Backend, rounds: number): Promise<void> {
  await smallHost(backend, async (sb, dir) => {
    const args = ['plan', '--no-tty', '-c', join(dir, 'config'), '--state', join(dir, 'state.json')].concat([
      '--netns',
      sb.netnsPath,
      '--docker-host',
      sb.dockerHost,
    ])
    const env = {NO_COLOR: '1', SSH_CONNECTION: '', DOCKWALL_CACHE_DIR: join(dir, 'cache')}
    const cli = (root: string) => () => run(process.execPath, [join(root, 'bin/run.js'), ...args], {env})
    const arms: Record<string, () => Promise<unknown>> = {
      'floor: bare node start': () => run(process.execPath, ['-e', '0']),
      'baseline dockwall plan': cli(baseline),
      'this dockwall plan': cli(REPO_ROOT),
    }
    await interleaved(
      `plan · ${backend} · small configuration (1 network, 2 containers, 3 rules) · whole process · median of ${rounds}, interleaved`,
      arms,
      'floor: bare node start',
      rounds,
    )
  })
}

async function applyAB(baseline: string, backend: Backend, n: number, rounds: number): Promise<void> {
  const sb = await Sandbox.start({backend, image: false})
  const dir = await mkdtemp(join(tmpdir(), `dockwall-ab-${backend}-`))
  try {
    await writeFile(join(dir, 'main.hcl.json'), wholeConfig(n))
    const netns = {kind: 'path' as const, path: sb.netnsPath}
    const reset = async (): Promise<void> => {
      for (const family of ['iptables', 'ip6tables']) {
        const ipt = (args: string[]) => run(`${family}-${backend}`, ['-w', ...args], {netns, okExitCodes: [1, 2]})
        await ipt(['-D', 'DOCKER-USER', '-m', 'comment', '--comment', 'dockwall:jump', '-j', 'DOCKWALL-FORWARD'])
        await ipt(['-F', 'DOCKWALL-FORWARD'])
        await ipt(['-X', 'DOCKWALL-FORWARD'])
      }
      for (const f of ['state.json', 'state.json.backup']) await rm(join(dir, f), {force: true})
    }
    const cli = (root: string) => () =>
      run(
        process.execPath,
        [
          join(root, 'bin/run.js'),
          'apply',
          '--auto-approve',
          '--no-tty',
          '-c',
          dir,
          '--state',
          join(dir, 'state.json'),
        ].concat(['--netns', sb.netnsPath, '--docker-host', sb.dockerHost]),
        {env: {NO_COLOR: '1', SSH_CONNECTION: '', DOCKWALL_CACHE_DIR: join(dir, 'cache')}},
      )
    // The floor's restore input is the transaction this build writes, from a saved plan.
    await reset()
    await run(
      process.execPath,
      [join(REPO_ROOT, 'bin/run.js'), 'plan', '--out', join(dir, 'floor.plan'), '--no-tty', '-c', dir].concat([
        '--state',
        join(dir, 'state.json'),
        '--netns',
        sb.netnsPath,
        '--docker-host',
        sb.dockerHost,
      ]),
      {env: {NO_COLOR: '1', SSH_CONNECTION: '', DOCKWALL_CACHE_DIR: join(dir, 'cache')}},
    )
    const saved = JSON.parse(await readFile(join(dir, 'floor.plan'), 'utf8')) as {plan: {firewall: {input: string}[]}}
    const input = saved.plan.firewall.map((t) => t.input).join('')
    const arms: Record<string, () => Promise<unknown>> = {
      'floor: node + save + restore': async () => {
        await run(process.execPath, ['-e', '0'])
        await run(`iptables-${backend}-save`, [], {netns})
        await run(`iptables-${backend}-restore`, ['-w', '--noflush'], {netns, input})
      },
      'baseline dockwall apply': cli(baseline),
      'this dockwall apply': cli(REPO_ROOT),
    }
    await interleaved(
      `apply · ${backend} · ${n.toLocaleString('en-US')} rule resources, empty host, whole process · median of ${rounds}, interleaved`,
      arms,
      'floor: node + save + restore',
      rounds,
      reset,
    )
  } finally {
    await sb.stop()
    await rm(dir, {recursive: true, force: true})
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name)
    return i >= 0 ? process.argv[i + 1] : undefined
  }
  const baseline = arg('--baseline')
  if (!baseline)
    throw new Error(
      'usage: baseline.js --baseline DIR [--backends nft,legacy] [--only refresh,plan,small-plan,apply] [--quick]',
    )
  const backends = (arg('--backends') ?? 'nft,legacy').split(',') as Backend[]
  const only = (arg('--only') ?? 'refresh,apply').split(',')
  const quick = process.argv.includes('--quick')
  await mkdir(tmpdir(), {recursive: true})
  for (const backend of backends) {
    // One large host per backend serves both the refresh and the plan figures.
    const hosts = new BigHosts(quick ? QUICK_SIZE : FULL_SIZE, (l) => console.error(l))
    try {
      if (only.includes('refresh')) await refreshAB(resolve(baseline), hosts, backend, quick ? 5 : 11)
      if (only.includes('plan')) await planAB(resolve(baseline), hosts, backend, quick ? 5 : 11)
      if (only.includes('small-plan')) await smallPlanAB(resolve(baseline), backend, quick ? 11 : 31)
    } finally {
      await hosts.stopAll()
    }
    if (only.includes('apply')) await applyAB(resolve(baseline), backend, quick ? 5_000 : 20_000, quick ? 3 : 7)
  }
}
