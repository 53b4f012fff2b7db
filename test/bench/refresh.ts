// Refresh benchmark (issue 3): on a sandbox holding 20,000 rules and 200 containers
// (test/bench/host.ts), dockwall's refresh next to the raw floor: one iptables-save
// in that namespace plus one Docker `GET /containers/json` list call, run together
// (refresh runs its reads together too). Target: refresh within 1.5x of the floor.
//   npm run build && npm run build:tools && node build/test/bench/refresh.js [--quick]
import {pathToFileURL} from 'node:url'

import {refresh} from '../../src/refresh/refresh.js'
import {run} from '../../src/util/exec.js'
import {BigHosts, FULL_SIZE, QUICK_SIZE, type BigHost} from './host.js'
import {dockerGet, figure, measure, resolveOptions, runCli, type BenchReport, type Figure} from './lib.js'

export async function floorRead(host: BigHost): Promise<void> {
  await Promise.all([
    run(`iptables-${host.sb.backend}-save`, [], {netns: host.host}),
    dockerGet(host.sb.socketPath, '/containers/json?all=1'),
  ])
}

export async function main(options?: unknown): Promise<BenchReport> {
  const opts = resolveOptions(options)
  const own = opts.hosts ? undefined : new BigHosts(opts.quick ? QUICK_SIZE : FULL_SIZE, opts.log)
  const hosts = opts.hosts ?? own!
  const figures: Figure[] = []
  const notes: string[] = []
  const n = opts.iterations
  try {
    for (const backend of opts.backends) {
      const host = await hosts.get(backend)
      const section = `refresh · ${backend} · ${host.setup.ruleLines} rule lines, ${host.size.containers} containers (issue 3)`
      opts.log(`refresh, ${backend}...`)
      const save = await measure(n, () => run(`iptables-${backend}-save`, [], {netns: host.host}))
      const list = await measure(n, () => dockerGet(host.sb.socketPath, '/containers/json?all=1'))
      const floor = await measure(n, () => floorRead(host))
      const base = {label: 'floor', stats: floor}
      figures.push(figure(section, `floor part: iptables-${backend}-save (nsenter)`, save))
      figures.push(figure(section, 'floor part: GET /containers/json?all=1', list))
      figures.push(figure(section, 'floor: both at once', floor))

      const bare = await measure(n, () =>
        refresh({docker: host.docker, host: host.host, backend: 'auto', model: null, prior: null}),
      )
      figures.push(
        figure(section, 'refresh(), no configuration', bare, {baseline: base, target: {maxRatio: 1.5, issue: 3}}),
      )
      const covered = await measure(n, () =>
        refresh({docker: host.docker, host: host.host, backend: 'auto', model: host.model, prior: null}),
      )
      figures.push(
        figure(
          section,
          `refresh(), covering configuration (${host.model.containers.length} containers named)`,
          covered,
          {baseline: base, target: {maxRatio: 1.5, issue: 3}},
        ),
      )

      const empty = `${host.dir}/no-config`
      const show = (config: string) =>
        runCli(['show', '--actual', '--json', '-c', config, ...host.cliArgs()], {env: host.cliEnv()})
      const out = await show(host.configDir)
      const parsed = JSON.parse(out.stdout) as {
        docker: {containers: unknown[]}
        namespaces: {owned_chains: {rules: unknown[]}[]}[]
      }
      const owned = parsed.namespaces[0]?.owned_chains.reduce((k, c) => k + c.rules.length, 0) ?? 0
      if (parsed.docker.containers.length !== host.size.containers || owned !== host.setup.dockwallLines) {
        throw new Error(
          `show --actual --json reported ${parsed.docker.containers.length} containers and ${owned} dockwall lines, expected ${host.size.containers} and ${host.setup.dockwallLines}`,
        )
      }
      const cliBare = await measure(n, () => show(empty))
      figures.push(
        figure(section, 'dockwall show --actual --json, process start to exit, no configuration', cliBare, {
          baseline: base,
        }),
      )
      const cliCovered = await measure(n, () => show(host.configDir))
      figures.push(
        figure(section, 'dockwall show --actual --json, with the covering configuration', cliCovered, {baseline: base}),
      )
    }
    notes.push(
      "refresh floor: the two reads dockwall cannot avoid (the namespace's iptables-save and one container list), started together as refresh starts its reads.",
    )
    return {bench: 'refresh', figures, notes}
  } finally {
    await own?.stopAll()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick')
  const report = await main({quick, iterations: quick ? 3 : 5})
  const {renderTable} = await import('./lib.js')
  console.log(renderTable(report.figures))
}
