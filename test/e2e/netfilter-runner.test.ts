// IptablesRunner and backend detection against real namespaces: the xtables lock,
// per-table saves that must not create legacy tables, incompatible nft tables, a
// process's namespace (the container case), and the auto backend choice.
// Needs root; no Docker. The host's rules are only read.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {detectBackend, legacyTableNames, probeBackends} from '../../src/netfilter/backend.js'
import {IncompatibleTableError, IptablesResourceError} from '../../src/netfilter/errors.js'
import {IptablesRunner} from '../../src/netfilter/runner.js'
import {snapshotRules, withScratchNetns} from '../../src/netfilter/scratch.js'
import {run} from '../../src/util/exec.js'

const isRoot = process.getuid?.() === 0
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe.skipIf(!isRoot)('IptablesRunner in scratch namespaces', () => {
  let hostBefore = ''
  let tmp = ''
  beforeAll(async () => {
    hostBefore = await snapshotRules()
    tmp = mkdtempSync(join(tmpdir(), 'dwtest-'))
  })
  afterAll(async () => {
    rmSync(tmp, {recursive: true, force: true})
    if (hostBefore) expect(await snapshotRules()).toBe(hostBefore)
  })

  it('legacy restore waits for the xtables lock, then fails with status 4 (nft ignores the lock)', async () => {
    // a private lock file (XTABLES_LOCKFILE), so the test never contends with the host's
    const lock = join(tmp, 'xtables.lock')
    writeFileSync(lock, '')
    const env = {XTABLES_LOCKFILE: lock}
    await withScratchNetns('lock', async (ns) => {
      const holder = run('flock', [lock, 'sleep', '3'])
      await sleep(300)
      const input = '*filter\n:DW-LOCK - [0:0]\nCOMMIT\n'
      const t0 = Date.now()
      const err = await new IptablesRunner({
        backend: 'legacy',
        family: 'ipv4',
        netns: ns.target,
        env,
        lockWaitSeconds: 1,
      })
        .restore(input)
        .catch((e: unknown) => e)
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900)
      expect(err).toBeInstanceOf(IptablesResourceError)
      expect(err).toMatchObject({exitCode: 4, tables: ['filter']})
      expect((err as Error).message).toMatch(/xtables lock/)
      await new IptablesRunner({backend: 'nft', family: 'ipv4', netns: ns.target, env, lockWaitSeconds: 1}).restore(
        input,
      )
      // with a long enough wait the legacy restore goes through once the lock is free
      await new IptablesRunner({backend: 'legacy', family: 'ipv4', netns: ns.target, env, lockWaitSeconds: 10}).restore(
        input,
      )
      await holder
    })
  })

  it('reading legacy tables that do not exist creates nothing', async () => {
    await withScratchNetns('legacy', async (ns) => {
      const ipt = new IptablesRunner({backend: 'legacy', family: 'ipv4', netns: ns.target})
      expect(await ipt.save(['filter', 'nat'])).toEqual({tables: []})
      expect(await ipt.save()).toEqual({tables: []})
      await probeBackends({netns: ns.target})
      expect(await legacyTableNames({netns: ns.target})).toEqual([])
      await ipt.restore('*nat\n:DW - [0:0]\nCOMMIT\n')
      expect(await legacyTableNames({netns: ns.target})).toEqual(['nat'])
      expect((await ipt.save(['filter', 'nat'], {strategy: 'per-table'})).tables.map((t) => t.name)).toEqual(['nat'])
      expect(await legacyTableNames({netns: ns.target})).toEqual(['nat'])
    })
  })

  it('reports an nft table iptables cannot show, and ignores the legacy warning on stderr', async () => {
    await withScratchNetns('incompat', async (ns) => {
      const nft = new IptablesRunner({backend: 'nft', family: 'ipv4', netns: ns.target})
      await nft.restore('*filter\n:DW - [0:0]\n-A DW -j ACCEPT\nCOMMIT\n')
      await new IptablesRunner({backend: 'legacy', family: 'ipv4', netns: ns.target}).restore(
        '*raw\n:X - [0:0]\nCOMMIT\n',
      )
      await run('nft', ['add', 'table', 'ip', 'security'], {netns: ns.target})
      await run('nft', ['add', 'chain', 'ip', 'security', 'INPUT', '{ type filter hook input priority 150; }'], {
        netns: ns.target,
      })
      await run('nft', ['add', 'rule', 'ip', 'security', 'INPUT', 'ct', 'mark', 'set', '1'], {netns: ns.target})
      const text = await nft.saveText(['filter'])
      expect(text).not.toMatch(/Warning/)
      expect((await nft.save(['filter'])).tables[0]!.rules.map((r) => r.key)).toEqual(['filter -A DW -j ACCEPT'])
      const err = await nft.save().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(IncompatibleTableError)
      expect(err).toMatchObject({tables: ['security']})
      await expect(nft.save(['security'])).rejects.toBeInstanceOf(IncompatibleTableError)
    })
  })

  it("reaches a process's namespace by PID (the container case)", async () => {
    await withScratchNetns('pid', async (ns) => {
      await new IptablesRunner({backend: 'nft', family: 'ipv4', netns: ns.target}).restore(
        '*filter\n:DW-PID - [0:0]\n-A DW-PID -j RETURN\nCOMMIT\n',
      )
      const proc = run('sleep', ['30'], {netns: ns.target}).catch(() => undefined)
      let pid = 0
      for (let i = 0; i < 50 && !pid; i++) {
        await sleep(50)
        pid = Number((await run('ip', ['netns', 'pids', ns.name])).stdout.trim().split('\n')[0] || 0)
      }
      expect(pid).toBeGreaterThan(0)
      try {
        const rs = await new IptablesRunner({backend: 'nft', family: 'ipv4', netns: {kind: 'pid', pid}}).save([
          'filter',
        ])
        expect(rs.tables[0]!.rules.map((r) => r.key)).toEqual(['filter -A DW-PID -j RETURN'])
      } finally {
        await run('kill', [String(pid)], {okExitCodes: [1]})
        await proc
      }
    })
  })

  it('ip6tables: restore and save through the ip6 binaries', async () => {
    await withScratchNetns('v6', async (ns) => {
      for (const backend of ['nft', 'legacy'] as const) {
        const r = new IptablesRunner({backend, family: 'ipv6', netns: ns.target})
        await r.restore('*filter\n:DW6 - [0:0]\n-A DW6 -s fd00::1 -p tcp --dport 80 -j REJECT\nCOMMIT\n')
        expect((await r.save(['filter'])).tables[0]!.rules.map((x) => x.key)).toEqual([
          'filter -A DW6 -s fd00::1/128 -p tcp -m tcp --dport 80 -j REJECT --reject-with icmp6-port-unreachable',
        ])
      }
    })
  })

  it('auto backend: nothing → the system default; Docker chains decide; else the rule count', async () => {
    await withScratchNetns('detect', async (ns) => {
      const probe = () => probeBackends({netns: ns.target})
      const empty = await detectBackend({setting: 'auto', probe})
      const sys = /\(legacy\)/.test((await run('iptables', ['-V'])).stdout) ? 'legacy' : 'nft'
      expect(empty.backend).toBe(sys)
      expect(empty.reason).toBe(
        `${sys}: no iptables rules in either backend; the system's iptables command is iptables-${sys}`,
      )

      const nft = new IptablesRunner({backend: 'nft', family: 'ipv4', netns: ns.target})
      const legacy = new IptablesRunner({backend: 'legacy', family: 'ipv4', netns: ns.target})
      await nft.restore('*filter\n:X - [0:0]\n-A X -j RETURN\n-A X -j RETURN\nCOMMIT\n')
      await legacy.restore('*filter\n:Y - [0:0]\n-A Y -j RETURN\nCOMMIT\n')
      expect(await detectBackend({setting: 'auto', probe})).toEqual({
        backend: 'nft',
        reason: 'nft: no Docker chains; iptables-nft holds 2 rules and iptables-legacy 1',
      })

      await legacy.restore('*filter\n:DOCKER-USER - [0:0]\n-A DOCKER-USER -j RETURN\nCOMMIT\n')
      await nft.restore('*filter\n-A X -j RETURN\n-A X -j RETURN\nCOMMIT\n')
      expect(await detectBackend({setting: 'auto', probe})).toEqual({
        backend: 'legacy',
        reason: "legacy: Docker's chains (DOCKER-USER) are in iptables-legacy",
      })
      const forced = await detectBackend({setting: 'nft', probe})
      expect(forced.backend).toBe('nft')
      expect(forced.warning).toMatch(/Docker's chains \(DOCKER-USER\) are in iptables-legacy/)
    })
  })
})
