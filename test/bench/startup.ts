// Start-up costs (issue 4, issue 13; docs/ARCHITECTURE.md, "Start-up"): `dockwall --version`,
// `--help`, `plan --help` and `dockwall validate` from process start to exit, next to a bare `node` start; and which heavy
// packages each command loads (ink, react, hcl2-parser, @cdktf/hcl2json and dockerode
// must load only when needed).
//   npm run build && npm run build:tools && node build/test/bench/startup.js
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {run} from '../../src/util/exec.js'
import {
  figure,
  heavyLoaded,
  loadedPackages,
  measureRounds,
  renderTable,
  resolveOptions,
  runCli,
  type BenchReport,
  type Figure,
} from './lib.js'

/** A small configuration: one network, two containers, three rules. */
export const SMALL_HCL = `network "front" {
  subnet = "10.10.1.0/24"
}

container "web" {
  network "front" {
    ipv4_address = "10.10.1.10"
  }
}

container "client" {
  network "front" {}
}

rule "web_http" {
  from  = container.client
  to    = container.web
  ports = [80, 443]
}

rule "web_ssh" {
  from   = "192.168.1.0/24"
  to     = container.web
  port   = 22
  action = "accept"
}

rule "deny_rest" {
  to       = container.web
  action   = "drop"
  priority = 900
}
`

export const SMALL_JSON = `${JSON.stringify(
  {
    network: {front: {subnet: '10.10.1.0/24'}},
    container: {web: {network: {front: {ipv4_address: '10.10.1.10'}}}, client: {network: {front: {}}}},
    rule: {
      web_http: {from: '${container.client}', to: '${container.web}', ports: [80, 443]},
      web_ssh: {from: '192.168.1.0/24', to: '${container.web}', port: 22, action: 'accept'},
      deny_rest: {to: '${container.web}', action: 'drop', priority: 900},
    },
  },
  null,
  2,
)}\n`

export async function main(options?: unknown): Promise<BenchReport> {
  const opts = resolveOptions(options)
  const n = Math.max(opts.iterations, 5)
  const dir = await mkdtemp(join(tmpdir(), 'dockwall-bench-startup-'))
  const figures: Figure[] = []
  const notes: string[] = []
  try {
    await mkdir(join(dir, 'hcl'))
    await mkdir(join(dir, 'json'))
    await writeFile(join(dir, 'hcl', 'main.hcl'), SMALL_HCL)
    await writeFile(join(dir, 'json', 'main.hcl.json'), SMALL_JSON)
    opts.log('startup...')
    const section = 'start-up · process start to exit (issue 4; docs/ARCHITECTURE.md, "Start-up")'
    const r = await measureRounds(n, {
      node: () => run(process.execPath, ['-e', '']),
      version: () => runCli(['--version']),
      help: () => runCli(['--help']),
      planHelp: () => runCli(['plan', '--help']),
      validateJson: () => runCli(['validate', '-c', join(dir, 'json')]),
      validateHcl: () => runCli(['validate', '-c', join(dir, 'hcl')]),
    })
    const base = {label: 'bare node', stats: r.node}
    figures.push(figure(section, 'node -e "" (bare node start)', r.node))
    figures.push(figure(section, 'dockwall --version', r.version, {baseline: base}))
    figures.push(figure(section, 'dockwall --help', r.help, {baseline: base}))
    figures.push(figure(section, 'dockwall plan --help', r.planHelp, {baseline: base}))
    figures.push(figure(section, 'dockwall validate, small .hcl.json configuration', r.validateJson, {baseline: base}))
    figures.push(
      figure(section, 'dockwall validate, small .hcl configuration', r.validateHcl, {
        baseline: base,
      }),
    )

    const checks: Array<[string, string[], string[]]> = [
      ['dockwall --version', ['--version'], []],
      ['dockwall validate (.hcl.json)', ['validate', '-c', join(dir, 'json')], []],
      ['dockwall validate (.hcl)', ['validate', '-c', join(dir, 'hcl')], []],
    ]
    // The fast path (src/cli/fast-path.ts) answers these without oclif.
    for (const args of [['--version'], ['--help'], ['plan', '--help']]) {
      const oclif = (await loadedPackages(args)).includes('@oclif/core')
      notes.push(
        `fast path, dockwall ${args.join(' ')}: ${oclif ? 'loads @oclif/core — UNEXPECTED, the fast path should answer it' : 'answered without loading @oclif/core (as it should)'}`,
      )
    }
    for (const [label, args, expected] of checks) {
      const heavy = heavyLoaded(await loadedPackages(args))
      const ok = heavy.length === expected.length && heavy.every((p) => expected.includes(p))
      notes.push(
        `lazy imports, ${label}: loads ${heavy.length > 0 ? heavy.join(', ') : 'none of ink, react, hcl2-parser, @cdktf/hcl2json, dockerode'}${ok ? ' (as it should)' : ` — UNEXPECTED, should be ${expected.join(', ') || 'none'}`}`,
      )
    }
    return {bench: 'startup', figures, notes}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await main({iterations: 7})
  console.log(renderTable(report.figures))
  for (const note of report.notes) console.log(note)
}
