// Import benchmark (issue 13): `dockwall import --all --generate-config-out FILE` on a
// host holding 2,000 and 20,000 foreign rules (test/bench/import-host.ts: per-client
// accepts in DOCKER-USER, block-list drops, management accepts in INPUT), whole process,
// against one full read of that host by `dockwall show --actual --json` (a refresh that
// parses every chain, as import must). Target: at most 5x, and near-linear growth.
//
//   npm run build && npm run build:tools && node build/test/bench/import.js [--quick]
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {run} from '../../src/util/exec.js'
import {Sandbox} from '../sandbox/index.js'
import {foreignRules} from './import-host.js'
import {
  figure,
  measureRounds,
  renderTable,
  resolveOptions,
  runCli,
  type BenchOptions,
  type BenchReport,
  type Figure,
  type Stats,
} from './lib.js'

async function measureSize(
  opts: BenchOptions,
  sb: Sandbox,
  dir: string,
  n: number,
  figures: Figure[],
): Promise<Record<string, Stats>> {
  const {dockerUser, input} = foreignRules(n)
  const restore = [
    '*filter',
    ':DOCKER-USER - [0:0]',
    ...dockerUser.map((r) => `-A DOCKER-USER ${r}`),
    ...input.map((r) => `-A INPUT ${r}`),
    'COMMIT',
    '',
  ].join('\n')
  await run(`iptables-${sb.backend}-restore`, ['-w', '--noflush'], {
    netns: {kind: 'path', path: sb.netnsPath},
    input: restore,
  })
  const host = ['--netns', sb.netnsPath, '--docker-host', sb.dockerHost]
  const out = join(dir, `imported-${n}.hcl`)
  opts.log(`import --all, ${sb.backend}, ${n} foreign rules...`)
  const r = await measureRounds(
    opts.iterations,
    {
      show: () => runCli(['show', '--actual', '--json', ...host]),
      import: () => runCli(['import', '--all', '--generate-config-out', out, ...host], {okExitCodes: [2]}),
    },
    {between: {import: () => rm(out, {force: true})}},
  )
  const section = `import --all · ${sb.backend} · ${n.toLocaleString('en-US')} foreign rules (issue 13)`
  figures.push(figure(section, 'dockwall show --actual --json (reads and parses every chain)', r.show))
  figures.push(
    figure(section, 'dockwall import --all --generate-config-out FILE', r.import, {
      baseline: {label: 'show --actual', stats: r.show},
      target: {maxRatio: 5, issue: 13},
    }),
  )
  // Back to Docker's own rules for the next size (Docker writes nothing in INPUT).
  await sb.iptables(['-F', 'DOCKER-USER'])
  await sb.iptables(['-F', 'INPUT'])
  return r
}

export async function main(options?: unknown): Promise<BenchReport> {
  const opts = resolveOptions(options)
  const sizes = opts.quick ? [500, 2_000] : [2_000, 20_000]
  const figures: Figure[] = []
  const notes: string[] = []
  for (const backend of opts.backends) {
    const sb = await Sandbox.start({backend, image: false})
    const dir = await mkdtemp(join(tmpdir(), 'dockwall-bench-import-'))
    try {
      const small = await measureSize(opts, sb, dir, sizes[0]!, figures)
      const large = await measureSize(opts, sb, dir, sizes[1]!, figures)
      notes.push(
        `${backend}: import --all grows ${(large.import!.median / small.import!.median).toFixed(2)}x from ${sizes[0]} to ${sizes[1]} rules (${sizes[1]! / sizes[0]!}x the rules)`,
      )
    } finally {
      await sb.stop()
      await rm(dir, {recursive: true, force: true})
    }
  }
  return {bench: 'import', figures, notes}
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const report = await main({quick: process.argv.includes('--quick')})
  console.log(renderTable(report.figures))
  for (const n of report.notes) console.log(`- ${n}`)
}
