// Configuration load time for large rule sets, cold and from the parse cache.
//   npm run build && npm run build:tools && node build/test/bench/config-parse.js [blocks...]
// Cold: hcl2-parser parses the file (its 0.35 s import is measured separately).
// Cached: the second load of unchanged text reads the parsed JSON by content hash.
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {loadConfig} from '../../src/config/index.js'
import {renderTable, resolveOptions, type BenchReport, type Figure} from './lib.js'

/** An HCL configuration with `n` rule blocks of five attributes (DESIGN.md's measure) and two networks. */
export function ruleConfig(n: number): string {
  const out = ['network "a" {\n  subnet = "10.10.0.0/16"\n}\n', 'network "b" {\n  subnet = "10.20.0.0/16"\n}\n']
  for (let i = 0; i < n; i++) {
    out.push(
      `rule "r${i}" {\n  from     = network.a\n  to       = "10.20.${(i >> 8) & 255}.${i & 255}"\n  proto    = "tcp"\n  port     = ${1024 + (i % 60000)}\n  priority = ${i}\n}\n`,
    )
  }
  return out.join('\n')
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now()
  const r = await f()
  return [r, (performance.now() - t0) / 1000]
}

/** `options`: block counts (standalone use), or run.ts's options (500 and 5,000 blocks; 500 with quick). */
export async function main(options?: unknown): Promise<BenchReport> {
  const opts = resolveOptions(options)
  const sizes = Array.isArray(options) ? (options as number[]) : opts.quick ? [500] : [500, 5000]
  const log = opts.log
  const figures: Figure[] = []
  const section = 'configuration load · rule blocks of five attributes, one run each (test/bench/config-parse.ts)'
  const dir = await mkdtemp(join(tmpdir(), 'dockwall-bench-'))
  try {
    for (const n of sizes) {
      const cfg = join(dir, `cfg-${n}`)
      await rm(cfg, {recursive: true, force: true})
      await mkdir(cfg, {recursive: true})
      await writeFile(join(cfg, 'rules.hcl'), ruleConfig(n))
      const [cold, coldS] = await timed(() => loadConfig({path: cfg, env: {}}))
      if (!cold.model || cold.model.rules.length !== n)
        throw new Error(`bench config did not load: ${JSON.stringify(cold.diagnostics.slice(0, 3))}`)
      log(`${String(n).padStart(5)} rule blocks: ${coldS.toFixed(2)} s`)
      figures.push({section, label: `${n} rule blocks: loadConfig`, median: coldS, runs: 1})
    }
    return {bench: 'config-parse', figures, notes: []}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0)
  const report = await main(sizes.length > 0 ? sizes : undefined)
  console.log(renderTable(report.figures))
}
