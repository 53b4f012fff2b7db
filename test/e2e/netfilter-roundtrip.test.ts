// Kernel round trip of the 15 real dumps in fixtures/iptables-dumps, on both backends:
// restoring D and restoring write(parse(D)) in two fresh namespaces must leave the same
// rules, and parse → write → parse of what the kernel printed must be the identity.
// Needs root and iptables 1.8.9 (nft and legacy); no Docker. The host's own rules are
// only read, and are checked unchanged at the end.
import {readdirSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {IptablesRunner} from '../../src/netfilter/runner.js'
import {parseRuleset} from '../../src/netfilter/parse.js'
import {snapshotRules, withScratchNetns} from '../../src/netfilter/scratch.js'
import type {Family, Ruleset} from '../../src/netfilter/types.js'
import {writeRuleset} from '../../src/netfilter/write.js'

const DIR = fileURLToPath(new URL('../../fixtures/iptables-dumps/', import.meta.url))
const DUMPS = readdirSync(DIR)
  .filter((f) => f.endsWith('.txt'))
  .sort()
const isRoot = process.getuid?.() === 0

/** iptables-save output without `#` lines and counters, the form the two namespaces are compared in. */
function comparable(text: string): string {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
    .join('\n')
}

/** Per table and chain, the rules' canonical keys in order, and the chain declarations. */
function shape(rs: Ruleset): Record<string, {chains: string[]; rules: Record<string, string[]>}> {
  const out: Record<string, {chains: string[]; rules: Record<string, string[]>}> = {}
  for (const t of rs.tables) {
    const rules: Record<string, string[]> = {}
    for (const r of t.rules) (rules[r.chain] ??= []).push(r.key)
    out[t.name] = {chains: t.chains.map((c) => `${c.name} ${c.policy}`).sort(), rules}
  }
  return out
}

describe.skipIf(!isRoot)('netfilter kernel round trip', () => {
  let hostBefore = ''
  beforeAll(async () => {
    hostBefore = await snapshotRules()
  })
  afterAll(async () => {
    if (hostBefore) expect(await snapshotRules()).toBe(hostBefore)
  })

  it('has the 15 dumps', () => {
    expect(DUMPS).toHaveLength(15)
  })

  for (const file of DUMPS) {
    const family: Family = file.includes('ip6tables') ? 'ipv6' : 'ipv4'
    for (const backend of ['nft', 'legacy'] as const) {
      it(`${file} on ${backend}`, async () => {
        const dump = readFileSync(`${DIR}${file}`, 'utf8')
        const parsed = parseRuleset(dump, {family})
        const written = writeRuleset(parsed)
        await withScratchNetns('rt1', async (n1) =>
          withScratchNetns('rt2', async (n2) => {
            const r1 = new IptablesRunner({backend, family, netns: n1.target})
            const r2 = new IptablesRunner({backend, family, netns: n2.target})
            await r1.restore(dump, {noflush: false})
            await r2.restore(written, {noflush: false})
            const save1 = await r1.saveText()
            const save2 = await r2.saveText()
            expect(comparable(save2)).toBe(comparable(save1))

            const p1 = parseRuleset(save1, {family})
            expect(parseRuleset(writeRuleset(p1), {family})).toEqual(p1)

            // and the dump's rules, in normal form, are exactly what the kernel printed
            expect(shape(p1)).toEqual(shape(parsed))
          }),
        )
      })
    }
  }
})
