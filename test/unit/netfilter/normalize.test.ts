import {describe, expect, it} from 'vitest'

import {
  normalizeAddress,
  normalizePortRange,
  normalizeProtocol,
  normalizeRule,
  ruleKey,
  truncateComment,
} from '../../../src/netfilter/normalize.js'
import {normalizeRuleSpec, parseRule, parseRuleset} from '../../../src/netfilter/parse.js'
import {writeRuleArgs} from '../../../src/netfilter/write.js'
import {dumps} from './fixtures.js'
import {NORMAL_FORM_CASES} from './normal-forms.js'

const norm = (args: string, family: 'ipv4' | 'ipv6' = 'ipv4', table = 'filter'): string =>
  writeRuleArgs(normalizeRule(parseRule(`-A T ${args}`, table, {family}), {family}))

describe('normalizeRule against what the kernel printed', () => {
  // Every case was restored on both backends and saved back (normal-forms.ts).
  it.each(NORMAL_FORM_CASES.map((c) => [c.loose, c] as const))('%s', (_loose, c) => {
    expect(norm(c.loose, c.family, c.table)).toBe(c.saved)
    // and the saved form is a fixed point
    expect(norm(c.saved, c.family, c.table)).toBe(c.saved)
  })
})

describe('each normalisation', () => {
  it('orders header options -s -d -i -o -p -f and puts them before the modules', () => {
    expect(norm('-m comment --comment x -f -p tcp -o eth1 -i eth0 -d 5.6.7.8 -s 1.2.3.4 -j ACCEPT')).toBe(
      '-s 1.2.3.4/32 -d 5.6.7.8/32 -i eth0 -o eth1 -p tcp -f -m comment --comment x -j ACCEPT',
    )
  })
  it('adds /32 and /128, clears host bits, turns masks into lengths, drops /0', () => {
    expect(normalizeAddress('10.0.0.1')).toBe('10.0.0.1/32')
    expect(normalizeAddress('10.0.0.5/24')).toBe('10.0.0.0/24')
    expect(normalizeAddress('10.0.0.0/255.255.255.0')).toBe('10.0.0.0/24')
    expect(normalizeAddress('10.0.0.0/255.0.255.0')).toBe('10.0.0.0/255.0.255.0')
    expect(normalizeAddress('10/8')).toBe('10.0.0.0/8')
    expect(normalizeAddress('0/0')).toBeNull()
    expect(normalizeAddress('::1')).toBe('::1/128')
    expect(normalizeAddress('FE80::1/10')).toBe('fe80::/10')
    expect(normalizeAddress('2001:db8:0:0:0:0:0:1')).toBe('2001:db8::1/128')
    expect(normalizeAddress('fd00::/ffff:ffff::')).toBe('fd00::/32')
    expect(normalizeAddress('::ffff:1.2.3.4')).toBe('::ffff:1.2.3.4/128')
    expect(normalizeAddress('example.org')).toBe('example.org')
  })
  it('keeps a negated any address (legacy prints it, nft refuses it)', () => {
    expect(norm('! -s 0.0.0.0/0 -j ACCEPT')).toBe('! -s 0.0.0.0/0 -j ACCEPT')
  })
  it('lower-cases protocols, names numbers, drops "all"', () => {
    expect(normalizeProtocol('TCP')).toBe('tcp')
    expect(normalizeProtocol('6')).toBe('tcp')
    expect(normalizeProtocol('47')).toBe('gre')
    expect(normalizeProtocol('icmpv6')).toBe('ipv6-icmp')
    expect(normalizeProtocol('200')).toBe('200')
    expect(normalizeProtocol('all')).toBeNull()
    expect(normalizeProtocol('0')).toBeNull()
  })
  it('makes the implicit protocol match explicit where its first option was', () => {
    expect(norm('-p tcp --dport 80 -j ACCEPT')).toBe('-p tcp -m tcp --dport 80 -j ACCEPT')
    expect(norm('-p udp -m comment --comment x --dport 53 -j ACCEPT')).toBe(
      '-p udp -m comment --comment x -m udp --dport 53 -j ACCEPT',
    )
    expect(norm('-p icmpv6 --icmpv6-type echo-request -j ACCEPT', 'ipv6')).toBe(
      '-p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT',
    )
  })
  it('normalises port ranges and service names', () => {
    expect(normalizePortRange('80:80')).toBe('80')
    expect(normalizePortRange(':1024')).toBe('0:1024')
    expect(normalizePortRange('1024:')).toBe('1024:65535')
    expect(normalizePortRange('0:65535')).toBeNull()
    expect(normalizePortRange('http')).toBe('80')
    expect(norm('-p tcp --dport 80 --sport 1000:2000 -j ACCEPT')).toBe(
      '-p tcp -m tcp --sport 1000:2000 --dport 80 -j ACCEPT',
    )
    expect(norm('-p tcp -m multiport --destination-ports http,https -j ACCEPT')).toBe(
      '-p tcp -m multiport --dports 80,443 -j ACCEPT',
    )
  })
  it('rewrites --syn and orders tcp flags', () => {
    expect(norm('-p tcp ! --syn -j ACCEPT')).toBe('-p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT')
    expect(norm('-p tcp --tcp-flags ALL NONE -j ACCEPT')).toBe(
      '-p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE -j ACCEPT',
    )
  })
  it('orders conntrack states', () => {
    expect(norm('-m conntrack --ctstate established,related -j ACCEPT')).toBe(
      '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    )
  })
  it('fills target defaults and aliases', () => {
    expect(norm('-j REJECT')).toBe('-j REJECT --reject-with icmp-port-unreachable')
    expect(norm('-j REJECT', 'ipv6')).toBe('-j REJECT --reject-with icmp6-port-unreachable')
    expect(norm('-p tcp --dport 80 -j DNAT --to 10.0.0.1:8080', 'ipv4', 'nat')).toBe(
      '-p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.1:8080',
    )
    expect(norm('-j LOG --log-level warning')).toBe('-j LOG')
    expect(norm('-j MARK --set-mark 1')).toBe('-j MARK --set-xmark 0x1/0xffffffff')
  })
  it('normalises limit rates like libxt_limit', () => {
    expect(norm('-m limit --limit 600/min -j ACCEPT')).toBe('-m limit --limit 10/sec -j ACCEPT')
    expect(norm('-m limit --limit 61/min -j ACCEPT')).toBe('-m limit --limit 61/min -j ACCEPT')
    expect(norm('-m limit -j ACCEPT')).toBe('-m limit --limit 3/hour -j ACCEPT')
  })
  it('cuts comments to 255 bytes as the kernel does', () => {
    expect(truncateComment('a'.repeat(300))).toBe('a'.repeat(255))
    // a cut multi-byte character reads back from iptables-save as U+FFFD, as Node decodes it
    expect(truncateComment('é'.repeat(200))).toBe(`${'é'.repeat(127)}\uFFFD`)
    expect(norm(`-m comment --comment ${'a'.repeat(256)} -j ACCEPT`)).toBe(
      `-m comment --comment ${'a'.repeat(255)} -j ACCEPT`,
    )
  })
  it('keys include table and chain, not counters', () => {
    const a = parseRule('[1:2] -A DOCKWALL-FORWARD -p tcp --dport 80 -s 10.0.0.1 -j ACCEPT', 'filter')
    const b = parseRule('-A DOCKWALL-FORWARD -s 10.0.0.1/32 -p tcp -m tcp --dport 80 -j ACCEPT', 'filter')
    expect(a.key).toBe(b.key)
    expect(a.key).toBe('filter -A DOCKWALL-FORWARD -s 10.0.0.1/32 -p tcp -m tcp --dport 80 -j ACCEPT')
    expect(ruleKey({...b, chain: 'OTHER'}, {family: 'ipv4'})).not.toBe(b.key)
  })
})

describe('saved dumps are in normal form', () => {
  // Dumps printed by iptables-save itself (not hand-written): normalising changes nothing.
  const saved = dumps().filter((d) => d.file !== 'diekmann-containern-topos1-iptables-save.txt')
  it.each(saved.map((d) => [d.file, d] as const))('%s', (_f, d) => {
    for (const t of parseRuleset(d.text, {family: d.family}).tables) {
      for (const r of t.rules) {
        // REJECT without --reject-with is how an old iptables-save printed the default
        if (r.target?.name === 'REJECT' && r.target.options.length === 0) continue
        expect(`${t.name} ${writeRuleArgs(normalizeRule(r, {family: d.family}))}`).toBe(`${t.name} ${writeRuleArgs(r)}`)
      }
    }
  })
})

describe('normalizeRuleSpec (text in, normal-form text out)', () => {
  it('normalises a spec and leaves an unreadable one unchanged', () => {
    expect(normalizeRuleSpec('-p tcp --dport 80 -s 10.0.0.1 -m comment --comment dockwall:rule.a -j ACCEPT')).toBe(
      '-s 10.0.0.1/32 -p tcp -m tcp --dport 80 -m comment --comment "dockwall:rule.a" -j ACCEPT',
    )
    expect(normalizeRuleSpec('-j REJECT', {family: 'ipv6'})).toBe('-j REJECT --reject-with icmp6-port-unreachable')
    expect(normalizeRuleSpec('--dport 80 -j ACCEPT')).toBe('--dport 80 -j ACCEPT')
    expect(normalizeRuleSpec('-m comment --comment "x')).toBe('-m comment --comment "x')
  })
})
