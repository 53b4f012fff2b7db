// Apply against the seed tools' way (issue 5): 2,000 rules written by a whole
// `dockwall apply` process, by one raw iptables-restore of the same input, and one
// `iptables -A` process per rule as the seed tools do. The large-scale figures are
// whole-process ones, in whole.ts (issue 13): an earlier version of this file timed
// the apply step alone, in-process, and that hid a quadratic path in the UI.
//   npm run build && npm run build:tools && node build/test/bench/apply.js [--quick]
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import type {Backend} from '../../src/model/types.js'
import {Sandbox} from '../sandbox/index.js'
import {preparePlan} from '../../src/services/prepare.js'
import {openSession, type Session} from '../../src/services/session.js'
import type {Plan} from '../../src/plan/types.js'
import {run} from '../../src/util/exec.js'
import {
  figure,
  measureRounds,
  renderTable,
  resolveOptions,
  runCli,
  stats,
  timeOnce,
  type BenchOptions,
  type BenchReport,
  type Figure,
} from './lib.js'

/** Sources and destinations per rule block: each block renders SOURCES × DESTINATIONS lines (ports 80 and 443 in one multiport match). */
const SOURCES = 20
const DESTINATIONS = 10
export const LINES_PER_BLOCK = SOURCES * DESTINATIONS

/** A configuration whose rules render `lines` iptables lines (a multiple of 200): compact blocks with lists of sources and destinations. */
export function applyConfig(lines: number): string {
  const blocks = Math.ceil(lines / LINES_PER_BLOCK)
  const out: string[] = []
  for (let b = 0; b < blocks; b++) {
    const from = Array.from(
      {length: SOURCES},
      (_, i) => `"10.${b >> 4}.${((b & 15) << 4) | (i >> 4)}.${(i & 15) << 4}/28"`,
    )
    const to = Array.from({length: DESTINATIONS}, (_, j) => `"172.20.${b}.${j + 1}"`)
    out.push(
      `rule "allow_${String(b).padStart(3, '0')}" {\n  from     = [${from.join(', ')}]\n  to       = [${to.join(', ')}]\n  ports    = [80, 443]\n  priority = ${100 + b}\n}\n`,
    )
  }
  return out.join('\n')
}

interface ApplyHost {
  sb: Sandbox
  dir: string
}

function ownedLines(save: string): number {
  return save.split('\n').filter((l) => l.startsWith('-A DOCKWALL-FORWARD ')).length
}

/** Back to the namespace Docker made: dockwall's chain and jump gone, the bench chain gone, no state file. */
async function reset(h: ApplyHost, configDir: string): Promise<void> {
  const ipt = (args: string[]) => h.sb.iptables(args, {okExitCodes: [1, 2]})
  await ipt(['-D', 'DOCKER-USER', '-m', 'comment', '--comment', 'dockwall:jump', '-j', 'DOCKWALL-FORWARD'])
  for (const chain of ['DOCKWALL-FORWARD', 'BENCH-PERRULE']) {
    await ipt(['-F', chain])
    await ipt(['-X', chain])
  }
  await rm(join(configDir, 'state.json'), {force: true})
  await rm(join(configDir, 'state.json.backup'), {force: true})
}

function sessionFor(h: ApplyHost, configDir: string): Promise<Session> {
  return openSession({
    config: configDir,
    state: join(configDir, 'state.json'),
    lockTimeoutMs: 0,
    operation: 'bench',
    netns: h.sb.netnsPath,
    dockerHost: h.sb.dockerHost,
    warn: () => {},
  })
}

/** Plans in-process (untimed) and returns the plan with its session, ready for applySession. */
async function planned(
  h: ApplyHost,
  configDir: string,
): Promise<{session: Session; plan: Plan; actual: Awaited<ReturnType<typeof preparePlan>>['actual']}> {
  const session = await sessionFor(h, configDir)
  const {plan, actual} = await preparePlan(session, {mode: 'normal', targets: []})
  return {session, plan, actual}
}

async function scale(
  opts: BenchOptions,
  h: ApplyHost,
  backend: Backend,
  lines: number,
  figures: Figure[],
  notes: string[],
): Promise<void> {
  const configDir = join(h.dir, `config-${lines}`)
  await mkdir(configDir, {recursive: true})
  await writeFile(join(configDir, 'main.hcl'), applyConfig(lines))
  const env = {DOCKWALL_CACHE_DIR: join(h.dir, 'cache')}
  const cliArgs = [
    'apply',
    '--auto-approve',
    '--no-tty',
    '-c',
    configDir,
    '--state',
    join(configDir, 'state.json'),
    '--netns',
    h.sb.netnsPath,
    '--docker-host',
    h.sb.dockerHost,
  ]

  // The input dockwall writes: the raw restore restores exactly it.
  await reset(h, configDir)
  const probe = await planned(h, configDir)
  await probe.session.close()
  if (probe.plan.firewall.length !== 1)
    throw new Error(`expected one iptables transaction, the plan has ${probe.plan.firewall.length}`)
  const input = probe.plan.firewall[0]!.input
  const written = input.split('\n').filter((l) => l.startsWith('-A ')).length
  const restoreCmd = `iptables-${backend}-restore`

  // Warm the parse cache, and check each way really writes the rules.
  const check = async (what: string): Promise<void> => {
    const n = ownedLines(await h.sb.iptablesSave({table: 'filter'}))
    if (n !== written) throw new Error(`${what} left ${n} lines in DOCKWALL-FORWARD, expected ${written}`)
  }
  await runCli(cliArgs, {env})
  await check('dockwall apply')
  await reset(h, configDir)
  await run(restoreCmd, ['-w', '--noflush'], {netns: {kind: 'path', path: h.sb.netnsPath}, input})
  await check('the raw restore')
  await reset(h, configDir)

  opts.log(`apply, ${backend}, ${written} lines...`)
  const r = await measureRounds(
    opts.iterations,
    {
      raw: () => run(restoreCmd, ['-w', '--noflush'], {netns: {kind: 'path', path: h.sb.netnsPath}, input}),
      cli: () => runCli(cliArgs, {env}),
    },
    {between: {raw: () => reset(h, configDir), cli: () => reset(h, configDir)}},
  )
  const section = `apply · ${backend} · ${written} iptables lines from ${Math.ceil(lines / LINES_PER_BLOCK)} rule blocks (issue 5)`
  const base = {label: 'raw restore', stats: r.raw}
  figures.push(figure(section, `raw: one ${restoreCmd} --noflush of the same input`, r.raw))
  figures.push(
    figure(section, 'dockwall apply --auto-approve --no-tty, process start to exit', r.cli, {
      baseline: base,
      note: 'includes node start-up, configuration (parse cache warm), refresh and plan',
    }),
  )

  {
    // The seeds' way: one `iptables -A` process per rule (here each through nsenter, as every command in the sandbox).
    const lineArgs = input
      .split('\n')
      .filter((l) => l.startsWith('-A DOCKWALL-FORWARD '))
      .map((l) => l.replace('-A DOCKWALL-FORWARD ', '').replaceAll('"', '').split(' '))
    const n = opts.quick ? 1 : Math.min(3, opts.iterations)
    const perRule: number[] = []
    for (let i = 0; i < n; i++) {
      await h.sb.iptables(['-N', 'BENCH-PERRULE'])
      perRule.push(
        await timeOnce(async () => {
          for (const args of lineArgs) await h.sb.iptables(['-A', 'BENCH-PERRULE', ...args])
        }),
      )
      const count = (await h.sb.iptablesSave({table: 'filter'}))
        .split('\n')
        .filter((l) => l.startsWith('-A BENCH-PERRULE ')).length
      if (count !== lineArgs.length) throw new Error(`per-rule method left ${count} rules, expected ${lineArgs.length}`)
      await reset(h, configDir)
    }
    const pr = stats(perRule)
    figures.push(
      figure(section, `per-rule method: ${lineArgs.length} iptables -A processes (as the seed tools do)`, pr, {
        baseline: {label: 'dockwall apply', stats: r.cli},
      }),
    )
    notes.push(
      `per-rule method, ${backend}: ${((pr.median / lineArgs.length) * 1000).toFixed(2)} ms a rule (each iptables process started through nsenter, about 1-2 ms of it)`,
    )
  }
}

export async function main(options?: unknown): Promise<BenchReport> {
  const opts = resolveOptions(options)
  const figures: Figure[] = []
  const notes: string[] = []
  // In-process sessions find the parse cache through the environment, as the CLI does.
  const savedCacheDir = process.env.DOCKWALL_CACHE_DIR
  for (const backend of opts.backends) {
    const sb = await Sandbox.start({backend, image: false})
    const h: ApplyHost = {sb, dir: await mkdtemp(join(tmpdir(), `dockwall-bench-apply-${backend}-`))}
    process.env.DOCKWALL_CACHE_DIR = join(h.dir, 'cache')
    try {
      await scale(opts, h, backend, 2_000, figures, notes)
    } finally {
      if (savedCacheDir === undefined) delete process.env.DOCKWALL_CACHE_DIR
      else process.env.DOCKWALL_CACHE_DIR = savedCacheDir
      try {
        await sb.stop()
      } finally {
        await rm(h.dir, {recursive: true, force: true})
      }
    }
  }
  return {bench: 'apply', figures, notes}
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick')
  const report = await main({quick, iterations: quick ? 3 : 5})
  console.log(renderTable(report.figures))
  for (const note of report.notes) console.log(note)
}
