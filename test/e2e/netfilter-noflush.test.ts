// What `iptables-restore --noflush` does with owned chains, proven on both backends in
// scratch namespaces. The planner and apply engine are built on these facts:
// - declaring an owned chain and listing its rules replaces its content in one
//   transaction (a failure leaves the old content);
// - `-I DOCKER-USER 1 -j DOCKWALL-FORWARD` leaves DOCKER-USER's other rules alone (and
//   inserting an existing jump again duplicates it: check before inserting);
// - one restore with several tables commits table by table;
// - an owned chain is deleted by `-D` of every jump to it, then declaring it (flush),
//   then `-X`, in that order; other orders fail and change nothing;
// - declaring a foreign user chain flushes it (never do that), declaring a built-in
//   chain keeps its rules.
// Needs root; no Docker. The host's rules are only read.
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {IptablesResourceError, IptablesRestoreError} from '../../src/netfilter/errors.js'
import {parseRule} from '../../src/netfilter/parse.js'
import {IptablesRunner} from '../../src/netfilter/runner.js'
import {createScratchNetns, type ScratchNetns, snapshotRules} from '../../src/netfilter/scratch.js'
import {chainRules, type Rule, type Ruleset} from '../../src/netfilter/types.js'
import {type RestoreOp, writeRestoreTable, writeRuleArgs} from '../../src/netfilter/write.js'

const isRoot = process.getuid?.() === 0

const rule = (args: string): Pick<Rule, 'matches' | 'target'> => parseRule(`-A X ${args}`, 'filter')
const jump = (chain: string): Pick<Rule, 'matches' | 'target'> => ({
  matches: [],
  target: {kind: 'jump', name: chain, options: []},
})

const SETUP = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER-USER - [0:0]
:DOCKWALL-FORWARD - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -s 192.0.2.1/32 -j ACCEPT
-A DOCKER-USER -s 198.51.100.7/32 -j DROP
-A DOCKER-USER -j RETURN
-A DOCKWALL-FORWARD -s 10.0.0.1/32 -m comment --comment "dockwall:rule.old1" -j ACCEPT
-A DOCKWALL-FORWARD -s 10.0.0.2/32 -m comment --comment "dockwall:rule.old2" -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:DOCKWALL-PREROUTING - [0:0]
-A PREROUTING -j DOCKWALL-PREROUTING
-A DOCKWALL-PREROUTING -p tcp -m tcp --dport 80 -j DNAT --to-destination 172.18.0.2:80
COMMIT
`

function chain(rs: Ruleset, table: string, name: string): string[] | undefined {
  const t = rs.tables.find((x) => x.name === table)
  if (!t || !t.chains.some((c) => c.name === name)) return undefined
  return chainRules(t, name).map((r) => writeRuleArgs(r))
}

describe.skipIf(!isRoot)('iptables-restore --noflush semantics', () => {
  let hostBefore = ''
  beforeAll(async () => {
    hostBefore = await snapshotRules()
  })
  afterAll(async () => {
    if (hostBefore) expect(await snapshotRules()).toBe(hostBefore)
  })

  for (const backend of ['nft', 'legacy'] as const) {
    describe(backend, () => {
      let ns: ScratchNetns
      let ipt: IptablesRunner
      let before: Ruleset
      beforeEach(async () => {
        ns = await createScratchNetns('noflush')
        ipt = new IptablesRunner({backend, family: 'ipv4', netns: ns.target})
        await ipt.restore(SETUP, {noflush: false})
        before = await ipt.save(['filter', 'nat'])
      })
      afterEach(async () => {
        await ns?.remove()
      })

      it('declaring an owned chain and listing its rules replaces it; -I 1 leaves DOCKER-USER alone', async () => {
        await ipt.restore(
          writeRestoreTable('filter', [
            {op: 'declare', chain: 'DOCKWALL-FORWARD'},
            {
              op: 'append',
              chain: 'DOCKWALL-FORWARD',
              rule: rule('-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'),
            },
            {
              op: 'append',
              chain: 'DOCKWALL-FORWARD',
              rule: rule('-s 10.0.0.3/32 -m comment --comment "dockwall:rule.new" -j ACCEPT'),
            },
            {op: 'insert', chain: 'DOCKER-USER', position: 1, rule: jump('DOCKWALL-FORWARD')},
          ]),
        )
        const after = await ipt.save(['filter', 'nat'])
        expect(chain(after, 'filter', 'DOCKWALL-FORWARD')).toEqual([
          '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
          '-s 10.0.0.3/32 -m comment --comment "dockwall:rule.new" -j ACCEPT',
        ])
        expect(chain(after, 'filter', 'DOCKER-USER')).toEqual([
          '-j DOCKWALL-FORWARD',
          '-s 198.51.100.7/32 -j DROP',
          '-j RETURN',
        ])
        expect(chain(after, 'filter', 'FORWARD')).toEqual(chain(before, 'filter', 'FORWARD'))
        expect(after.tables.find((t) => t.name === 'nat')).toEqual(before.tables.find((t) => t.name === 'nat'))
        expect(after.tables.find((t) => t.name === 'filter')!.chains.find((c) => c.name === 'FORWARD')?.policy).toBe(
          'DROP',
        )
      })

      it('a failing table rolls back entirely: the owned chain keeps its old content', async () => {
        const input = writeRestoreTable('filter', [
          {op: 'declare', chain: 'DOCKWALL-FORWARD'},
          {op: 'append', chain: 'DOCKWALL-FORWARD', rule: rule('-s 10.0.0.4/32 -j ACCEPT')},
          {op: 'insert', chain: 'DOCKER-USER', position: 1, rule: jump('DOCKWALL-FORWARD')},
          {op: 'append', chain: 'DOCKWALL-FORWARD', rule: jump('NO-SUCH-CHAIN')},
        ])
        await expect(ipt.restore(input)).rejects.toMatchObject({
          name: 'IptablesRestoreError',
          failedTable: 'filter',
          committedTables: [],
        })
        expect(await ipt.save(['filter', 'nat'])).toEqual(before)
      })

      it('one restore of two tables commits table by table: filter stays committed when nat fails', async () => {
        const input =
          writeRestoreTable('filter', [
            {op: 'declare', chain: 'DOCKWALL-FORWARD'},
            {op: 'append', chain: 'DOCKWALL-FORWARD', rule: rule('-s 10.0.0.5/32 -j ACCEPT')},
          ]) +
          writeRestoreTable('nat', [
            {op: 'declare', chain: 'DOCKWALL-PREROUTING'},
            {
              op: 'append',
              chain: 'DOCKWALL-PREROUTING',
              rule: rule('-p tcp -m tcp --dport 81 -j DNAT --to-destination 172.18.0.3:81'),
            },
            {op: 'append', chain: 'DOCKWALL-PREROUTING', rule: jump('NO-SUCH-CHAIN')},
          ])
        const err = await ipt.restore(input).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(IptablesRestoreError)
        expect(err).toMatchObject({tables: ['filter', 'nat'], failedTable: 'nat', committedTables: ['filter']})
        const after = await ipt.save(['filter', 'nat'])
        expect(chain(after, 'filter', 'DOCKWALL-FORWARD')).toEqual(['-s 10.0.0.5/32 -j ACCEPT'])
        expect(chain(after, 'nat', 'DOCKWALL-PREROUTING')).toEqual(chain(before, 'nat', 'DOCKWALL-PREROUTING'))

        // the same through restoreEachTable: exact by construction
        await expect(ipt.restoreEachTable(input)).rejects.toMatchObject({
          failedTable: 'nat',
          committedTables: ['filter'],
        })
      })

      it('inserting a jump that is already there adds a second one', async () => {
        const ins: RestoreOp[] = [{op: 'insert', chain: 'DOCKER-USER', position: 1, rule: jump('DOCKWALL-FORWARD')}]
        await ipt.restore(writeRestoreTable('filter', ins))
        await ipt.restore(writeRestoreTable('filter', ins))
        expect(chain(await ipt.save(['filter']), 'filter', 'DOCKER-USER')).toEqual([
          '-j DOCKWALL-FORWARD',
          '-j DOCKWALL-FORWARD',
          '-s 198.51.100.7/32 -j DROP',
          '-j RETURN',
        ])
      })

      it('deletes an owned chain with -D jump, declare, -X (in that order)', async () => {
        await ipt.restore(
          writeRestoreTable('filter', [
            {op: 'insert', chain: 'DOCKER-USER', position: 1, rule: jump('DOCKWALL-FORWARD')},
          ]),
        )
        await ipt.restore(
          writeRestoreTable('filter', [
            {op: 'delete', chain: 'DOCKER-USER', rule: jump('DOCKWALL-FORWARD')},
            {op: 'declare', chain: 'DOCKWALL-FORWARD'},
            {op: 'deleteChain', chain: 'DOCKWALL-FORWARD'},
          ]),
        )
        const after = await ipt.save(['filter', 'nat'])
        expect(chain(after, 'filter', 'DOCKWALL-FORWARD')).toBeUndefined()
        expect(chain(after, 'filter', 'DOCKER-USER')).toEqual(['-s 198.51.100.7/32 -j DROP', '-j RETURN'])
        expect(chain(after, 'filter', 'FORWARD')).toEqual(chain(before, 'filter', 'FORWARD'))
      })

      it('other orders fail and change nothing', async () => {
        await ipt.restore(
          writeRestoreTable('filter', [
            {op: 'insert', chain: 'DOCKER-USER', position: 1, rule: jump('DOCKWALL-FORWARD')},
          ]),
        )
        const withJump = await ipt.save(['filter', 'nat'])
        // -X of a chain that still has rules (not declared first)
        const notEmpty = await ipt
          .restore(
            writeRestoreTable('filter', [
              {op: 'delete', chain: 'DOCKER-USER', rule: jump('DOCKWALL-FORWARD')},
              {op: 'deleteChain', chain: 'DOCKWALL-FORWARD'},
            ]),
          )
          .catch((e: unknown) => e)
        expect(notEmpty).toBeInstanceOf(IptablesRestoreError)
        // nft reports the kernel's EBUSY as status 4, legacy fails the line with status 1
        if (backend === 'nft') expect(notEmpty).toBeInstanceOf(IptablesResourceError)
        else expect(notEmpty).toMatchObject({exitCode: 1})
        // -X while a jump still points at it
        await expect(
          ipt.restore(
            writeRestoreTable('filter', [
              {op: 'declare', chain: 'DOCKWALL-FORWARD'},
              {op: 'deleteChain', chain: 'DOCKWALL-FORWARD'},
            ]),
          ),
        ).rejects.toBeInstanceOf(IptablesRestoreError)
        // -X before the -D of the jump
        await expect(
          ipt.restore(
            writeRestoreTable('filter', [
              {op: 'declare', chain: 'DOCKWALL-FORWARD'},
              {op: 'deleteChain', chain: 'DOCKWALL-FORWARD'},
              {op: 'delete', chain: 'DOCKER-USER', rule: jump('DOCKWALL-FORWARD')},
            ]),
          ),
        ).rejects.toBeInstanceOf(IptablesRestoreError)
        // -D of a jump that is not there
        await expect(
          ipt.restore(writeRestoreTable('filter', [{op: 'delete', chain: 'FORWARD', rule: jump('DOCKWALL-FORWARD')}])),
        ).rejects.toBeInstanceOf(IptablesRestoreError)
        expect(await ipt.save(['filter', 'nat'])).toEqual(withJump)
      })

      it('declaring a built-in chain keeps its rules; declaring a foreign user chain flushes it', async () => {
        await ipt.restore('*filter\n:FORWARD - [0:0]\nCOMMIT\n')
        let after = await ipt.save(['filter'])
        expect(chain(after, 'filter', 'FORWARD')).toEqual(chain(before, 'filter', 'FORWARD'))
        expect(after.tables.find((t) => t.name === 'filter')!.chains.find((c) => c.name === 'FORWARD')?.policy).toBe(
          'DROP',
        )
        await ipt.restore('*filter\n:DOCKER-USER - [0:0]\nCOMMIT\n')
        after = await ipt.save(['filter'])
        expect(chain(after, 'filter', 'DOCKER-USER')).toEqual([])
      })
    })
  }
})
