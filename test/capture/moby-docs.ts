// moby's generated descriptions of Docker's iptables layouts
// (integration/network/bridge/iptablesdoc/generated/*.md) → iptables-save text. Each doc
// lists, per table, "iptables commands": `-P CHAIN POLICY`, `-N CHAIN`, `-A ...`; the
// table is told apart by its built-in chains (FORWARD: filter, POSTROUTING: nat,
// PREROUTING and OUTPUT only: raw).
//
//   npm run build:tools && node build/test/capture/moby-docs.js /work/.mirror/moby+moby/repo
//   (writes fixtures/explain/moby-<tag>/<doc>.iptables for v28.5.2 and HEAD)
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {run} from '../../src/util/exec.js'

export function mobyDocToSave(markdown: string): string {
  const blocks: string[][] = []
  let current: string[] | null = null
  for (const line of markdown.split('\n')) {
    if (line.includes('<summary>iptables commands</summary>')) {
      current = []
      continue
    }
    if (current && line.includes('</details>')) {
      blocks.push(current)
      current = null
      continue
    }
    const t = line.trim()
    if (current && /^-[PNA] /.test(t)) current.push(t)
  }
  const out: string[] = []
  for (const b of blocks) {
    const policies = b.filter((l) => l.startsWith('-P ')).map((l) => l.split(/\s+/) as [string, string, string])
    const builtins = policies.map((p) => p[1])
    const table = builtins.includes('FORWARD') ? 'filter' : builtins.includes('POSTROUTING') ? 'nat' : 'raw'
    out.push(`*${table}`)
    for (const [, chain, policy] of policies) out.push(`:${chain} ${policy} [0:0]`)
    for (const l of b.filter((x) => x.startsWith('-N '))) out.push(`:${l.slice(3).trim()} - [0:0]`)
    for (const l of b.filter((x) => x.startsWith('-A '))) out.push(l)
    out.push('COMMIT')
  }
  return `${out.join('\n')}\n`
}

const DOCS = ['usernet-portmap', 'usernet-portmap-noicc', 'usernet-portmap-routed']
const REFS: Array<{ref: string; dir: string}> = [
  {ref: 'v28.5.2', dir: 'moby-28.5.2'},
  {ref: 'HEAD', dir: 'moby-29'},
]

async function main(): Promise<void> {
  const repo = process.argv[2] ?? '/work/.mirror/moby+moby/repo'
  const out = process.argv[3] ?? 'fixtures/explain'
  for (const {ref, dir} of REFS) {
    mkdirSync(join(out, dir), {recursive: true})
    const commit = (await run('git', ['-C', repo, 'rev-parse', ref])).stdout.trim()
    for (const doc of DOCS) {
      const path = `integration/network/bridge/iptablesdoc/generated/${doc}.md`
      const md = (await run('git', ['-C', repo, 'show', `${commit}:${path}`])).stdout
      writeFileSync(join(out, dir, `${doc}.iptables`), mobyDocToSave(md))
      console.log(`${dir}/${doc}.iptables from ${ref} (${commit}) ${path}`)
    }
  }
}

if (process.argv[1]?.endsWith('moby-docs.js')) await main()
