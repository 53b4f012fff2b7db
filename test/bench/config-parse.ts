// Configuration front end, whole process (issue 13): `dockwall validate` of 5,000 and
// 20,000 rule blocks of six attributes, as HCL and as the same configuration in .hcl.json,
// from process start to exit (no cache exists to warm), against the floor a Node program
// must pay to read that configuration at all: a bare `node` start plus JSON.parse of the
// .hcl.json text. Time and peak memory (ru_maxrss of the process).
//   npm run build && npm run build:tools && node build/test/bench/config-parse.js
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {run} from '../../src/util/exec.js'
import {
  figure,
  measureRounds,
  REPO_ROOT,
  renderTable,
  resolveOptions,
  runCli,
  type BenchReport,
  type Figure,
} from './lib.js'

/** `n` rule blocks of six attributes (the issue's measure) and the two networks they name. */
export function ruleConfig(n: number): {hcl: string; json: string} {
  const hcl = ['network "a" {\n  subnet = "10.10.0.0/16"\n}\n', 'network "b" {\n  subnet = "10.20.0.0/16"\n}\n']
  const rule: Record<string, unknown> = {}
  for (let i = 0; i < n; i++) {
    const to = `10.20.${(i >> 8) & 255}.${i & 255}`
    const port = 1024 + (i % 60000)
    hcl.push(
      `rule "r${i}" {\n  from     = network.a\n  to       = "${to}"\n  proto    = "tcp"\n  port     = ${port}\n  action   = "accept"\n  priority = ${i}\n}\n`,
    )
    rule[`r${i}`] = {from: '${network.a}', to, proto: 'tcp', port, action: 'accept', priority: i}
  }
  const json = JSON.stringify({network: {a: {subnet: '10.10.0.0/16'}, b: {subnet: '10.20.0.0/16'}}, rule}, null, 2)
  return {hcl: hcl.join('\n'), json}
}

/** Peak RSS (MB) of one run of `argv` under node, through the maxrss preload. */
async function peakMb(dir: string, argv: string[], cli: boolean): Promise<number> {
  const file = join(dir, `maxrss-${Math.random().toString(36).slice(2)}`)
  const hook = ['--import', `${REPO_ROOT}build/test/bench/maxrss.js`]
  if (cli) await runCli(argv, {nodeArgs: hook, env: {DOCKWALL_BENCH_MAXRSS: file}})
  else await run(process.execPath, [...hook, ...argv], {env: {DOCKWALL_BENCH_MAXRSS: file}})
  const kb = Number(await readFile(file, 'utf8'))
  await rm(file, {force: true})
  return kb / 1024
}

export async function main(options?: unknown): Promise<BenchReport> {
  const opts = resolveOptions(options)
  const sizes = opts.quick ? [1000, 4000] : [5000, 20000]
  const n = opts.iterations
  const section = 'configuration · cold `dockwall validate`, whole process (issue 13)'
  const figures: Figure[] = []
  const notes: string[] = []
  const dir = await mkdtemp(join(tmpdir(), 'dockwall-bench-config-'))
  const medians: Record<string, number> = {}
  try {
    for (const size of sizes) {
      const {hcl, json} = ruleConfig(size)
      const hclFile = join(dir, `rules-${size}.hcl`)
      const jsonFile = join(dir, `rules-${size}.hcl.json`)
      await writeFile(hclFile, hcl)
      await writeFile(jsonFile, json)
      const floorArgs = ['-e', `JSON.parse(require('fs').readFileSync(${JSON.stringify(jsonFile)}, 'utf8'))`]
      opts.log(
        `  ${size} blocks (${(hcl.length / 1e6).toFixed(1)} MB HCL, ${(json.length / 1e6).toFixed(1)} MB JSON)...`,
      )
      const r = await measureRounds(n, {
        floor: () => run(process.execPath, floorArgs),
        json: () => runCli(['validate', '-c', jsonFile]),
        hcl: () => runCli(['validate', '-c', hclFile]),
      })
      const floor = {label: 'node + JSON.parse', stats: r.floor}
      figures.push(figure(section, `${size} blocks: floor (bare node + JSON.parse of the .hcl.json)`, r.floor))
      figures.push(
        figure(section, `${size} blocks: validate .hcl.json`, r.json, {
          baseline: floor,
          note: size === 20000 ? `target: ≤ 1 s (median ${r.json.median.toFixed(2)} s)` : undefined,
        }),
      )
      figures.push(figure(section, `${size} blocks: validate .hcl`, r.hcl, {baseline: floor}))
      figures.push(
        figure(section, `${size} blocks: validate .hcl against .hcl.json`, r.hcl, {
          baseline: {label: 'validate .hcl.json', stats: r.json},
          target: {maxRatio: 1.5, issue: 13},
        }),
      )
      medians[`json-${size}`] = r.json.median
      medians[`hcl-${size}`] = r.hcl.median
      const mem = {
        floor: await peakMb(dir, floorArgs, false),
        json: await peakMb(dir, ['validate', '-c', jsonFile], true),
        hcl: await peakMb(dir, ['validate', '-c', hclFile], true),
      }
      notes.push(
        `${size} blocks, peak memory (ru_maxrss): floor ${mem.floor.toFixed(0)} MB, validate .hcl.json ${mem.json.toFixed(0)} MB, validate .hcl ${mem.hcl.toFixed(0)} MB (target ≤ 300 MB)`,
      )
    }
    const [small, big] = sizes as [number, number]
    for (const kind of ['json', 'hcl'] as const) {
      const growth = medians[`${kind}-${big}`]! / medians[`${kind}-${small}`]!
      notes.push(
        `growth ${big}/${small} blocks, validate ${kind === 'json' ? '.hcl.json' : '.hcl'}: ${growth.toFixed(2)}x (target ≤ 4.5x: ${growth <= 4.5 ? 'met' : 'NOT met'})`,
      )
    }
    return {bench: 'config-parse', figures, notes}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await main({quick: process.argv.includes('--quick')})
  console.log(renderTable(report.figures))
  for (const note of report.notes) console.log(`  - ${note}`)
}
