// iptables costs that shape dockwall's refresh and apply, measured in scratch network
// namespaces (needs root; the host's rules are never touched):
//   npm run build && npm run build:tools && node build/test/bench/netfilter.js [rules]
// - parse (and write) of a 20,000-rule iptables-save dump
// - iptables-save of 20,000 rules, nft vs legacy
// - one iptables-restore of 20,000 rules, nft vs legacy
// - 2,000 rules by one `iptables -A` process each (nft), the approach dockwall replaces
// - refresh reads: one full save vs one `-t` save per table, for filter+nat on nft,
//   without and with a large third table
import {cpus, loadavg} from 'node:os'
import {pathToFileURL} from 'node:url'

import {parseRuleset} from '../../src/netfilter/parse.js'
import {IptablesRunner} from '../../src/netfilter/runner.js'
import {withScratchNetns} from '../../src/netfilter/scratch.js'
import {writeRuleset} from '../../src/netfilter/write.js'
import {run} from '../../src/util/exec.js'
import {renderTable, resolveOptions, stats, type BenchReport, type Figure} from './lib.js'

/** Restore input: `n` dockwall-style rules in an owned chain of `table` (filter: accepts, nat: DNATs). */
export function benchRules(
  n: number,
  table: 'filter' | 'nat' | 'mangle' = 'filter',
  chain = 'DOCKWALL-FORWARD',
): string {
  const out = [`*${table}`, `:${chain} - [0:0]`]
  for (let i = 0; i < n; i++) {
    const a = `${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
    const port = 1024 + (i % 60000)
    if (table === 'nat')
      out.push(
        `-A ${chain} -d 10.${a}/32 -p tcp -m tcp --dport ${port} -m comment --comment "dockwall:port_forward.p${i}" -j DNAT --to-destination 172.18.${(i >> 8) & 255}.${i & 255}:80`,
      )
    else
      out.push(
        `-A ${chain} -s 10.${a}/32 -d 172.18.0.0/16 -p tcp -m tcp --dport ${port} -m comment --comment "dockwall:rule.r${i}" -j ACCEPT`,
      )
  }
  out.push('COMMIT')
  return `${out.join('\n')}\n`
}

async function time(f: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now()
  await f()
  return (performance.now() - t0) / 1000
}

/** Median of `reps` runs, in seconds. */
async function median(reps: number, f: () => Promise<unknown> | unknown): Promise<number> {
  const ts: number[] = []
  for (let i = 0; i < reps; i++) ts.push(await time(f))
  ts.sort((a, b) => a - b)
  return ts[Math.floor(ts.length / 2)]!
}

const s = (x: number): string => `${x.toFixed(3)} s`
const load = (): string =>
  `load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} on ${cpus().length} CPUs`

/** A figure from one median (this script keeps its own timing helpers). */
function fig(section: string, label: string, seconds: number, runs: number): Figure {
  return {section, label, median: seconds, runs}
}

/** `options`: the number of rules (standalone use), or run.ts's options (20,000 rules, 5,000 with quick). */
export async function main(options?: unknown): Promise<BenchReport> {
  const opts = resolveOptions(options)
  const n = typeof options === 'number' ? options : opts.quick ? 5_000 : 20_000
  const figures: Figure[] = []
  const section = `netfilter · ${n} rules · scratch namespaces (test/bench/netfilter.ts)`
  const log = opts.log
  log(`netfilter benchmark, ${n} rules (${load()}; figures are medians)`)
  const dump = benchRules(n)
  // parse cost in-process, no root needed
  parseRuleset(dump) // warm-up (JIT)
  const parseS = await median(5, () => parseRuleset(dump, {family: 'ipv4'}))
  const parsed = parseRuleset(dump, {family: 'ipv4'})
  const writeS = await median(5, () => writeRuleset(parsed))
  const skipS = await median(5, () => parseRuleset(dump, {family: 'ipv4', chains: (_t, c) => c !== 'DOCKWALL-FORWARD'}))
  log(
    `parse ${n} rules: ${s(parseS)} (${((parseS / n) * 1e6).toFixed(1)} µs/rule); write: ${s(writeS)}; ` +
      `skipping them (chains filter, as refresh does for chains it does not read): ${s(skipS)}`,
  )
  figures.push(fig(section, `parseRuleset of ${n} rules (${((parseS / n) * 1e6).toFixed(1)} µs a rule)`, parseS, 5))
  figures.push(fig(section, `writeRuleset of ${n} rules`, writeS, 5))
  figures.push(fig(section, `parseRuleset skipping those rules (a chains filter)`, skipS, 5))

  if (process.getuid?.() !== 0) {
    log('iptables figures skipped: they need root (scratch network namespaces)')
    return {bench: 'netfilter', figures, notes: ['iptables figures skipped: not root']}
  }

  for (const backend of ['nft', 'legacy'] as const) {
    const restores: number[] = []
    let saveS = 0
    for (let rep = 0; rep < 3; rep++) {
      await withScratchNetns('bench', async (ns) => {
        const ipt = new IptablesRunner({backend, family: 'ipv4', netns: ns.target})
        restores.push(await time(() => ipt.restore(dump)))
        if (rep === 0) {
          const rules = (await ipt.save(['filter'])).tables[0]?.rules.length
          if (rules !== n) throw new Error(`expected ${n} rules after the restore, found ${rules}`)
          saveS = await median(5, () => ipt.saveText())
        }
      })
    }
    restores.sort((a, b) => a - b)
    log(`${backend}: one restore of ${n} rules ${s(restores[1]!)}; iptables-save of them ${s(saveS)}`)
    figures.push(
      fig(
        section,
        `${backend}: one iptables-restore of ${n} rules into a fresh namespace`,
        stats(restores).median,
        restores.length,
      ),
    )
    figures.push(fig(section, `${backend}: iptables-save of them`, saveS, 5))
  }

  const k = Math.min(2000, n)
  await withScratchNetns('bench', async (ns) => {
    await run('iptables-nft', ['-w', '-N', 'DOCKWALL-FORWARD'], {netns: ns.target})
    const lines = benchRules(k)
      .split('\n')
      .filter((l) => l.startsWith('-A '))
    const perRule = await time(async () => {
      for (const line of lines) {
        // the seeds' way: one process per rule (arguments are plain words, no quotes needed but the comment's)
        const args = line.replaceAll('"', '').split(' ')
        await run('iptables-nft', ['-w', ...args], {netns: ns.target})
      }
    })
    const viaRestore = await withScratchNetns('bench', async (ns2) =>
      time(() => new IptablesRunner({backend: 'nft', family: 'ipv4', netns: ns2.target}).restore(benchRules(k))),
    )
    log(
      `nft: ${k} rules by ${k} iptables -A processes ${s(perRule)} (${((perRule / k) * 1000).toFixed(2)} ms/rule) vs one restore ${s(viaRestore)}`,
    )
    figures.push(fig(section, `nft: ${k} rules by ${k} iptables -A processes`, perRule, 1))
    figures.push(fig(section, `nft: the same ${k} rules by one restore`, viaRestore, 1))
  })

  await withScratchNetns('bench', async (ns) => {
    const ipt = new IptablesRunner({backend: 'nft', family: 'ipv4', netns: ns.target})
    await ipt.restore(benchRules(n / 2, 'filter') + benchRules(n / 2, 'nat', 'DOCKWALL-PREROUTING'))
    const report = async (label: string): Promise<void> => {
      const full = await median(5, () => ipt.saveText(['filter', 'nat'], {strategy: 'full'}))
      const perTable = await median(5, () => ipt.saveText(['filter', 'nat'], {strategy: 'per-table'}))
      const one = await median(5, () => ipt.saveText(['filter'], {strategy: 'per-table'}))
      log(
        `nft refresh read, ${label}: one full save ${s(full)}; -t filter and -t nat in parallel ${s(perTable)}; -t filter alone ${s(one)}`,
      )
      figures.push(fig(section, `nft, ${label}: one full save`, full, 5))
      figures.push(fig(section, `nft, ${label}: -t filter and -t nat in parallel`, perTable, 5))
      figures.push(fig(section, `nft, ${label}: -t filter alone`, one, 5))
    }
    await report(`filter+nat ${n / 2}+${n / 2} rules`)
    await ipt.restore(benchRules(n, 'mangle', 'BIG'))
    await report(`plus ${n} rules in mangle`)
  })
  return {bench: 'netfilter', figures, notes: []}
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? 20_000)
  const report = await main(Number.isInteger(n) && n > 0 ? n : 20_000)
  console.log(renderTable(report.figures))
}
