// The explain evaluator on a host with 20,000 rules (issue 16: `explain` answers in ≤ 1 s,
// whole process; the evaluator's own share should be milliseconds). The host is the
// captured Docker 20.10 typical host (fixtures/explain/docker-20.10-nft) with 20,000 more
// rules in the host's filter table, in two shapes:
//   dockwall: DOCKWALL-FORWARD (jumped to from DOCKER-USER) holding 20,000 dockwall-style
//             accepts `-s 10.a.b.c/32 -d 172.18.0.0/16 -p tcp --dport P` (the index takes them
//             by source address);
//   mixed:    DOCKER-USER holding 20,000 rules of varied shapes (source, destination,
//             interfaces, ports, multiport, conntrack), which no one key splits well.
// Figures: parse of the dump (what refresh pays anyway), preparing the host, the first
// question (compiles the chains it visits), a repeated question, the same without the
// index (a plain scan), and a whole process (node start, imports, parse, one question).
// Then `dockwall explain` itself, whole process, against a sandbox holding the typical
// host and the 20,000 mixed rules, per backend: the target is 1 s.
// No timed assertions: figures only.
//
//   npm run build:tools && node build/test/bench/explain.js [--iterations N]
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {Explainer, type ExplainHost, type Query} from '../../src/explain/index.js'
import {parseRuleset} from '../../src/netfilter/parse.js'
import {run} from '../../src/util/exec.js'
import type {Backend} from '../../src/model/types.js'
import {FIXTURES, loadCapture} from '../capture/fixture.js'
import {buildTypical} from '../capture/scenario.js'
import {Sandbox} from '../sandbox/index.js'
import {
  figure,
  measure,
  measureRounds,
  REPO_ROOT,
  renderTable,
  resolveOptions,
  runCli,
  stats,
  type BenchReport,
  type Figure,
} from './lib.js'

const RULES = 20_000
const FIXTURE = 'docker-20.10-nft'

/** The extra rules, as iptables-save lines for the host's filter table. */
export function extraRules(shape: 'dockwall' | 'mixed', n = RULES): {chains: string[]; lines: string[]} {
  const lines: string[] = []
  const ip = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
  if (shape === 'dockwall') {
    lines.push('-A DOCKER-USER -m comment --comment dockwall:jump -j DOCKWALL-FORWARD')
    for (let i = 0; i < n; i++)
      lines.push(
        `-A DOCKWALL-FORWARD -s ${ip(i + 256)}/32 -d 172.18.0.0/16 -p tcp -m tcp --dport ${1024 + (i % 60000)} -m comment --comment "dockwall:rule.r${i}" -j ACCEPT`,
      )
    return {chains: [':DOCKWALL-FORWARD - [0:0]'], lines}
  }
  for (let i = 0; i < n; i++) {
    switch (i % 5) {
      case 0:
        lines.push(`-A DOCKER-USER -s ${ip(i + 256)}/32 -j DROP`)
        break
      case 1:
        lines.push(`-A DOCKER-USER -d ${ip(i + 256)}/32 -p tcp -m tcp --dport 443 -j ACCEPT`)
        break
      case 2:
        lines.push(`-A DOCKER-USER -i eth${i % 7} -o br-x${i % 13} -j RETURN`)
        break
      case 3:
        lines.push(`-A DOCKER-USER -p udp -m multiport --dports ${i % 1000},${2000 + (i % 1000)} -j DROP`)
        break
      default:
        lines.push(
          `-A DOCKER-USER ! -s 192.168.${i % 256}.0/24 -d 172.31.${i % 256}.0/24 -m conntrack --ctstate NEW -j REJECT --reject-with icmp-port-unreachable`,
        )
    }
  }
  return {chains: [], lines}
}

/** The fixture's host dump with the extra rules inserted into its filter table. */
export function bigDump(shape: 'dockwall' | 'mixed'): string {
  const base = readFileSync(join(FIXTURES, FIXTURE, 'host.iptables'), 'utf8')
  const {chains, lines} = extraRules(shape)
  const filterStart = base.indexOf('*filter')
  const commit = base.indexOf('\nCOMMIT', filterStart)
  // Before Docker's `-A DOCKER-USER -j RETURN`, which ends the chain.
  const ret = base.indexOf('-A DOCKER-USER -j RETURN', filterStart)
  const at = ret >= 0 && ret < commit ? ret : commit + 1
  const decl = base.indexOf(':DOCKER-USER', filterStart)
  const withChains = `${base.slice(0, decl)}${chains.map((c) => `${c}\n`).join('')}${base.slice(decl, at)}`
  return `${withChains}${lines.join('\n')}\n${base.slice(at)}`
}

function hostWith(dump: string): ExplainHost {
  const {host} = loadCapture(FIXTURE)
  const h = host.namespaces.find((n) => n.id === 'host')!
  h.rulesets.ipv4 = parseRuleset(dump, {family: 'ipv4'})
  return host
}

/** A container on another network to web's port 80: crosses the host's FORWARD chain, so every extra rule is in its way. */
const QUERY: Query = {from: {kind: 'namespace', namespace: 'container.db'}, to: '10.31.1.10', proto: 'tcp', port: 80}

/** Whole processes, the floor (node and the parse of the dump) and the evaluator's, in alternation so they share the load. */
async function wholeProcess(dumpFile: string, reps: number): Promise<{floor: number[]; explain: number[]}> {
  const script = join(REPO_ROOT, 'build/test/bench/explain-process.js')
  const out = {floor: [] as number[], explain: [] as number[]}
  for (let i = 0; i < reps + 1; i++) {
    for (const kind of ['floor', 'explain'] as const) {
      const t0 = performance.now()
      await run(process.execPath, [script, dumpFile, ...(kind === 'floor' ? ['--parse-only'] : [])])
      if (i > 0) out[kind].push((performance.now() - t0) / 1000)
    }
  }
  return out
}

export async function main(options?: unknown): Promise<BenchReport> {
  const opts = resolveOptions(options)
  const n = opts.quick ? 3 : Math.max(opts.iterations, 5)
  const figures: Figure[] = []
  const notes: string[] = []
  for (const shape of ['dockwall', 'mixed'] as const) {
    const section = `explain · ${RULES.toLocaleString('en')} rules, ${shape} (issue 16)`
    const dump = bigDump(shape)
    const parse = await measure(n, () => parseRuleset(dump, {family: 'ipv4'}))
    figures.push(figure(section, `parse the host's dump (${dump.split('\n').length} lines)`, parse))
    const prepare = await measure(n, () => new Explainer(hostWith(dump)))
    figures.push(figure(section, 'prepare the host (topology, tables)', prepare, {note: 'includes the parse'}))
    const cold = stats(
      await Promise.all(
        Array.from({length: n}, async () => {
          const e = new Explainer(hostWith(dump))
          const t0 = performance.now()
          e.explain(QUERY)
          return (performance.now() - t0) / 1000
        }),
      ),
    )
    const indexed = new Explainer(hostWith(dump))
    const scanned = new Explainer(hostWith(dump), {indexMinRules: Infinity})
    const verdict = indexed.explain(QUERY)
    if (verdict.verdict !== scanned.explain(QUERY).verdict) throw new Error('indexed and scanned answers differ')
    const warm = await measure(n * 4, () => indexed.explain(QUERY))
    const scan = await measure(n * 4, () => scanned.explain(QUERY))
    figures.push(
      figure(section, 'first question (compiles the chains it visits)', cold, {
        baseline: {label: 'parse', stats: parse},
      }),
    )
    figures.push(
      figure(section, 'a question, chains compiled', warm, {
        baseline: {label: 'the same without the index', stats: scan},
      }),
    )
    figures.push(figure(section, 'a question without the index (plain scan)', scan))
    notes.push(`${shape}: ${QUERY.to}:${QUERY.port} from container.db: ${verdict.summary}`)
    const dir = mkdtempSync(join(tmpdir(), 'dockwall-explain-bench-'))
    const file = join(dir, 'host.iptables')
    writeFileSync(file, dump)
    let procs
    try {
      procs = await wholeProcess(file, n)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
    const floor = stats(procs.floor)
    figures.push(figure(section, 'whole process: node and the parse of the dump (floor)', floor))
    figures.push(
      figure(section, 'whole process: node, parse, the evaluator, one question', stats(procs.explain), {
        baseline: {label: 'the floor', stats: floor},
        note: 'no Docker, no iptables-save: the evaluator’s share of `explain` is the difference',
      }),
    )
  }
  for (const backend of opts.backends) {
    const r = await cliWholeProcess(backend, opts.quick ? 3 : n)
    figures.push(...r.figures)
    notes.push(...r.notes)
  }
  return {bench: 'explain', figures, notes}
}

/** The target of issue 16: `dockwall explain` on a host with 20,000 rules, whole process. */
const TARGET_SECONDS = 1

/**
 * `dockwall explain` as a user runs it, against a sandbox holding the typical host and
 * 20,000 mixed rules in DOCKER-USER (before Docker's RETURN), from process start to exit;
 * the floor is what any tool must pay for the same answer: a bare node start and one
 * iptables-save of the host.
 */
async function cliWholeProcess(backend: Backend, n: number): Promise<{figures: Figure[]; notes: string[]}> {
  const section = `explain · dockwall explain, ${RULES.toLocaleString('en')} rules, ${backend} (issue 16)`
  const sb = await Sandbox.start({backend})
  try {
    await buildTypical(sb)
    const {lines} = extraRules('mixed')
    // Inserted at the top of DOCKER-USER in their order: Docker 20.10 ends the chain with RETURN.
    const input = `*filter\n${lines.map((l, i) => l.replace(/^-A DOCKER-USER /, `-I DOCKER-USER ${i + 1} `)).join('\n')}\nCOMMIT\n`
    await sb.iptablesRestore(input)
    const args = [
      'explain',
      'container.db',
      'container.web',
      '--port',
      '80',
      '--netns',
      sb.netnsPath,
      '--docker-host',
      sb.dockerHost,
    ]
    const netns = {kind: 'path', path: sb.netnsPath} as const
    const first = await runCli(args, {netns})
    const verdict = first.stdout.split('\n')[0] ?? ''
    const rounds = await measureRounds(n, {
      floor: async () => {
        await run(process.execPath, ['-e', ''])
        await sb.iptablesSave()
      },
      explain: () => runCli(args, {netns}),
    })
    const f = figure(section, `dockwall explain container.db container.web --port 80`, rounds.explain, {
      baseline: {label: 'node start + one iptables-save', stats: rounds.floor},
      note: `target ≤ ${TARGET_SECONDS} s: ${rounds.explain.median <= TARGET_SECONDS ? 'met' : 'NOT met'}`,
    })
    return {
      figures: [figure(section, 'floor: node start + one iptables-save of the host', rounds.floor), f],
      notes: [`${backend}: dockwall explain says "${verdict}"`],
    }
  } finally {
    await sb.stop()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await main(
    resolveOptions({iterations: Number(process.argv[process.argv.indexOf('--iterations') + 1]) || 5}),
  )
  console.log(renderTable(r.figures))
  for (const note of r.notes) console.log(`  - ${note}`)
}
