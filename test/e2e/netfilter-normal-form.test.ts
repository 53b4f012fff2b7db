// Re-checks against the kernel every normal-form case dockwall encodes
// (test/unit/netfilter/normal-forms.ts): each loose form, restored on each backend,
// is printed back by iptables-save exactly as recorded. Needs root; no Docker.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {IptablesRunner} from '../../src/netfilter/runner.js'
import {snapshotRules, withScratchNetns} from '../../src/netfilter/scratch.js'
import type {Family} from '../../src/netfilter/types.js'
import {NORMAL_FORM_CASES, NOT_NORMALIZED_CASES} from '../unit/netfilter/normal-forms.js'

const isRoot = process.getuid?.() === 0

/** Restores each rule into its own chain (one transaction) and returns what iptables-save printed per rule. */
async function printed(backend: 'nft' | 'legacy', family: Family, table: string, rules: string[]): Promise<string[]> {
  return withScratchNetns('nf', async (ns) => {
    const r = new IptablesRunner({backend, family, netns: ns.target})
    const chains = rules.map((_, i) => `T${i}`)
    await r.restore(
      `*${table}\n${chains.map((c) => `:${c} - [0:0]\n`).join('')}${rules.map((x, i) => `-A ${chains[i]} ${x}\n`).join('')}COMMIT\n`,
    )
    const out = new Map<string, string[]>()
    for (const line of (await r.saveText([table])).split('\n')) {
      const m = /^-A (T\d+) (.*)$/.exec(line)
      if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!])
    }
    return chains.map((c) => (out.get(c) ?? []).join('|'))
  })
}

describe.skipIf(!isRoot)('normal forms on the kernel', () => {
  let hostBefore = ''
  beforeAll(async () => {
    hostBefore = await snapshotRules()
  })
  afterAll(async () => {
    if (hostBefore) expect(await snapshotRules()).toBe(hostBefore)
  })

  const groups = new Map<string, typeof NORMAL_FORM_CASES>()
  for (const c of NORMAL_FORM_CASES)
    groups.set(`${c.family} ${c.table}`, [...(groups.get(`${c.family} ${c.table}`) ?? []), c])

  for (const backend of ['nft', 'legacy'] as const) {
    for (const [group, cases] of groups) {
      it(`${backend} ${group}: ${cases.length} cases print as recorded`, async () => {
        const {family, table} = cases[0]!
        const got = await printed(
          backend,
          family,
          table,
          cases.map((c) => c.loose),
        )
        expect(cases.map((c, i) => `${c.loose} => ${got[i]}`)).toEqual(cases.map((c) => `${c.loose} => ${c.saved}`))
      })
    }

    it(`${backend}: comments are cut to 255 bytes, tabs kept inside quotes`, async () => {
      const got = await printed(backend, 'ipv4', 'filter', [
        `-m comment --comment ${'a'.repeat(300)} -j ACCEPT`,
        '-m comment --comment "tab\tx" -j ACCEPT',
      ])
      expect(got).toEqual([
        `-m comment --comment ${'a'.repeat(255)} -j ACCEPT`,
        '-m comment --comment "tab\tx" -j ACCEPT',
      ])
    })

    it(`${backend}: the cases normalizeRule leaves alone behave as recorded`, async () => {
      for (const c of NOT_NORMALIZED_CASES) {
        const want = c[backend]
        if (want === 'ERR') {
          await expect(printed(backend, c.family, c.table, [c.loose]), c.loose).rejects.toThrow()
        } else {
          expect(await printed(backend, c.family, c.table, [c.loose]), c.loose).toEqual([want])
        }
      }
    })
  }
})
