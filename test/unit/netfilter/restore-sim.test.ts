// simulateRestore: iptables-restore --noflush computed in memory, with the semantics
// test/e2e/netfilter-noflush.test.ts verified on both backends.
import {describe, expect, it} from 'vitest'

import {parseRuleset, writeRuleset} from '../../../src/netfilter/index.js'
import {simulateRestore} from '../../../src/netfilter/restore-sim.js'

const HOST = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER-USER - [0:0]
:DOCKWALL-INPUT - [0:0]
-A INPUT -j DOCKWALL-INPUT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A FORWARD -j DOCKER-USER
-A DOCKER-USER -j RETURN
-A DOCKWALL-INPUT -s 10.0.0.0/8 -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
COMMIT
`

const host = () => parseRuleset(HOST, {family: 'ipv4'})

/** `-A CHAIN spec` lines of one chain after the restore. */
function chain(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`-A ${name} `))
    .map((l) => l.slice(`-A ${name} `.length))
}

describe('simulateRestore', () => {
  it('empties a declared user chain and fills it with what follows, leaving other chains alone', () => {
    const r = simulateRestore(
      host(),
      '*filter\n:DOCKWALL-INPUT - [0:0]\n-A DOCKWALL-INPUT -s 192.0.2.0/24 -j DROP\n-A DOCKWALL-INPUT -j RETURN\nCOMMIT\n',
      'ipv4',
    )
    expect(r.failed).toEqual([])
    const out = writeRuleset(r.ruleset)
    expect(chain(out, 'DOCKWALL-INPUT')).toEqual(['-s 192.0.2.0/24 -j DROP', '-j RETURN'])
    expect(chain(out, 'INPUT')).toEqual(['-j DOCKWALL-INPUT', '-p tcp -m tcp --dport 22 -j ACCEPT'])
    expect(chain(out, 'DOCKER-USER')).toEqual(['-j RETURN'])
  })

  it('creates a chain that did not exist, and inserts a jump at the top of a built-in chain', () => {
    const r = simulateRestore(
      host(),
      '*filter\n:DOCKWALL-OUTPUT - [0:0]\n-A DOCKWALL-OUTPUT -d 192.0.2.1/32 -j DROP\n-I OUTPUT 1 -j DOCKWALL-OUTPUT\nCOMMIT\n',
      'ipv4',
    )
    const out = writeRuleset(r.ruleset)
    expect(out).toContain(':DOCKWALL-OUTPUT - [0:0]')
    expect(chain(out, 'OUTPUT')).toEqual(['-j DOCKWALL-OUTPUT'])
    expect(chain(out, 'DOCKWALL-OUTPUT')).toEqual(['-d 192.0.2.1/32 -j DROP'])
  })

  it('inserts at a position inside a chain and after its last rule', () => {
    const r = simulateRestore(
      host(),
      '*filter\n-I INPUT 2 -s 1.2.3.4/32 -j ACCEPT\n-I INPUT 4 -j LOG\nCOMMIT\n',
      'ipv4',
    )
    expect(chain(writeRuleset(r.ruleset), 'INPUT')).toEqual([
      '-j DOCKWALL-INPUT',
      '-s 1.2.3.4/32 -j ACCEPT',
      '-p tcp -m tcp --dport 22 -j ACCEPT',
      '-j LOG',
    ])
  })

  it('deletes a rule given as written (in another spelling than iptables-save prints) and by number', () => {
    const r = simulateRestore(host(), '*filter\n-D INPUT -p tcp --dport 22 -j ACCEPT\n-D FORWARD 1\nCOMMIT\n', 'ipv4')
    expect(r.failed).toEqual([])
    const out = writeRuleset(r.ruleset)
    expect(chain(out, 'INPUT')).toEqual(['-j DOCKWALL-INPUT'])
    expect(chain(out, 'FORWARD')).toEqual([])
  })

  it('removes a chain after its jumps are deleted and it is emptied', () => {
    const r = simulateRestore(
      host(),
      '*filter\n-D INPUT -j DOCKWALL-INPUT\n:DOCKWALL-INPUT - [0:0]\n-X DOCKWALL-INPUT\nCOMMIT\n',
      'ipv4',
    )
    expect(r.failed).toEqual([])
    expect(writeRuleset(r.ruleset)).not.toContain('DOCKWALL-INPUT')
  })

  it('fails a whole table, leaving it as it was, on a -D of a missing rule; other tables still commit', () => {
    const before = writeRuleset(host())
    const r = simulateRestore(
      host(),
      '*filter\n:DOCKWALL-INPUT - [0:0]\n-D INPUT -s 9.9.9.9/32 -j DROP\nCOMMIT\n*nat\n:DOCKWALL-PREROUTING - [0:0]\n-I PREROUTING 1 -j DOCKWALL-PREROUTING\nCOMMIT\n',
      'ipv4',
    )
    expect(r.failed.map((f) => f.table)).toEqual(['filter'])
    expect(r.failed[0]!.error).toMatch(/no such rule/)
    const out = writeRuleset(r.ruleset)
    expect(out.split('*nat')[0]).toBe(before.split('*nat')[0])
    expect(chain(out, 'PREROUTING')).toEqual(['-j DOCKWALL-PREROUTING'])
  })

  it('refuses -X of a chain still jumped to, and of a built-in chain', () => {
    expect(
      simulateRestore(host(), '*filter\n:DOCKWALL-INPUT - [0:0]\n-X DOCKWALL-INPUT\nCOMMIT\n', 'ipv4').failed[0]!.error,
    ).toMatch(/still referenced/)
    expect(simulateRestore(host(), '*filter\n-X INPUT\nCOMMIT\n', 'ipv4').failed[0]!.error).toMatch(/built-in/)
  })

  it('keeps a built-in chain’s rules when it is declared, and takes its policy unless it is -', () => {
    const r = simulateRestore(host(), '*filter\n:INPUT DROP [0:0]\n:FORWARD - [0:0]\nCOMMIT\n', 'ipv4')
    const out = writeRuleset(r.ruleset)
    expect(out).toContain(':INPUT DROP')
    expect(out).toContain(':FORWARD DROP')
    expect(chain(out, 'INPUT')).toHaveLength(2)
  })

  it('appends to a chain that does not exist: the table fails', () => {
    const r = simulateRestore(host(), '*filter\n-A NOPE -j ACCEPT\nCOMMIT\n', 'ipv4')
    expect(r.failed[0]!.error).toMatch(/does not exist/)
  })

  it('creates a table the ruleset did not have (raw), and reads IPv6 rules', () => {
    const r = simulateRestore(
      {tables: []},
      '*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -s 2001:db8::/32 -j DROP\nCOMMIT\n',
      'ipv6',
    )
    expect(r.failed).toEqual([])
    expect(chain(writeRuleset(r.ruleset), 'PREROUTING')).toEqual(['-s 2001:db8::/32 -j DROP'])
  })

  it('does not change the ruleset it was given', () => {
    const h = host()
    const before = writeRuleset(h)
    simulateRestore(h, '*filter\n:DOCKWALL-INPUT - [0:0]\n-F INPUT\n-P INPUT DROP\nCOMMIT\n', 'ipv4')
    expect(writeRuleset(h)).toBe(before)
  })

  it('reports input without COMMIT or outside a table', () => {
    expect(simulateRestore(host(), '-A INPUT -j ACCEPT\n', 'ipv4').failed[0]!.error).toMatch(/outside a table/)
    expect(simulateRestore(host(), '*filter\n-A INPUT -j ACCEPT\n', 'ipv4').failed[0]!.error).toBe('no COMMIT')
  })
})
