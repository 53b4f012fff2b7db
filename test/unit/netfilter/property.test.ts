// Property tests: quoting, negation placement, counters and chain names survive
// write → parse unchanged, and normal form is a fixed point.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {InvalidNameError} from '../../../src/netfilter/errors.js'
import {validateChainName, validateComment} from '../../../src/netfilter/names.js'
import {normalizeRule} from '../../../src/netfilter/normalize.js'
import {parseRule, parseRuleset} from '../../../src/netfilter/parse.js'
import {quoteArg, tokenize} from '../../../src/netfilter/quote.js'
import type {ExtOption, HeaderMatch, Match, ModuleMatch, Rule, Ruleset} from '../../../src/netfilter/types.js'
import {writeRule, writeRuleArgs, writeRuleset} from '../../../src/netfilter/write.js'

// printable characters, weighted towards the ones quoting cares about
const printable = fc.oneof(
  {weight: 3, arbitrary: fc.constantFrom('"', '\\', "'", ' ', '!', '-', ':', '.', '#', '*', '[', ']', '$', '`')},
  {
    weight: 5,
    arbitrary: fc.string({unit: 'grapheme-ascii', minLength: 1, maxLength: 1}).filter((c) => c >= ' ' && c <= '~'),
  },
  {weight: 1, arbitrary: fc.constantFrom('é', 'ß', '→', '中', '🙂')},
)
const commentArb = fc.string({unit: printable, maxLength: 255})
const chainArb = fc
  .stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,27}$/)
  .filter((n) => !['ACCEPT', 'DROP', 'RETURN', 'QUEUE'].includes(n))
const u64 = fc.bigInt({min: 0n, max: 2n ** 64n - 1n})

const ipv4 = fc
  .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), fc.integer({min: 1, max: 32}))
  .map(([a, b, c, d, len]) => {
    const n = (((a << 24) | (b << 16) | (c << 8) | d) >>> 0) & (len === 32 ? 0xffffffff : ~(0xffffffff >>> len))
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${len}`
  })
const iface = fc.stringMatching(/^[a-z][a-z0-9]{0,8}\+?$/)
const header = (option: HeaderMatch['option'], value: fc.Arbitrary<string | null>): fc.Arbitrary<HeaderMatch> =>
  fc.record({kind: fc.constant('header' as const), option: fc.constant(option), negated: fc.boolean(), value})
const port = fc.integer({min: 1, max: 65535}).map(String)
const option = (name: string, values: fc.Arbitrary<string[]>): fc.Arbitrary<ExtOption> =>
  fc.record({name: fc.constant(name), negated: fc.boolean(), values})

// A rule in normal form: headers in order, then modules, then a target.
const ruleArb: fc.Arbitrary<Pick<Rule, 'matches' | 'target' | 'chain'> & {counters?: Rule['counters']}> = fc
  .record({
    chain: chainArb,
    s: fc.option(header('s', ipv4), {nil: undefined}),
    d: fc.option(header('d', ipv4), {nil: undefined}),
    i: fc.option(header('i', iface), {nil: undefined}),
    o: fc.option(header('o', iface), {nil: undefined}),
    tcp: fc.option(
      fc.record({
        sport: fc.option(
          option(
            'sport',
            port.map((p) => [p]),
          ),
          {nil: undefined},
        ),
        dport: option(
          'dport',
          port.map((p) => [p]),
        ),
      }),
      {nil: undefined},
    ),
    comment: fc.option(commentArb, {nil: undefined}),
    state: fc.option(option('ctstate', fc.constantFrom(['NEW'], ['RELATED,ESTABLISHED'], ['INVALID'])), {
      nil: undefined,
    }),
    target: fc.constantFrom('ACCEPT', 'DROP', 'RETURN', 'DOCKWALL-FORWARD'),
    counters: fc.option(fc.record({packets: u64, bytes: u64}), {nil: undefined}),
  })
  .map((r) => {
    const matches: Match[] = [r.s, r.d, r.i, r.o].filter((m): m is HeaderMatch => m !== undefined)
    if (r.tcp) {
      matches.push({kind: 'header', option: 'p', negated: false, value: 'tcp'})
      const tcp: ModuleMatch = {
        kind: 'module',
        name: 'tcp',
        options: [r.tcp.sport, r.tcp.dport].filter((o): o is ExtOption => o !== undefined),
      }
      matches.push(tcp)
    }
    if (r.comment !== undefined)
      matches.push({kind: 'module', name: 'comment', options: [{name: 'comment', negated: false, values: [r.comment]}]})
    if (r.state) matches.push({kind: 'module', name: 'conntrack', options: [r.state]})
    return {
      chain: r.chain,
      matches,
      target: {kind: 'jump' as const, name: r.target, options: []},
      ...(r.counters ? {counters: r.counters} : {}),
    }
  })

describe('quoting', () => {
  it('tokenize(quoteArg(s)) gives back s for any printable string', () => {
    fc.assert(
      fc.property(commentArb, (s) => {
        expect(tokenize(quoteArg(s)).map((t) => t.value)).toEqual([s])
      }),
      {numRuns: 2000},
    )
  })

  it('a comment survives writeRule → parseRule, and is bare only when [A-Za-z0-9_-]+', () => {
    fc.assert(
      fc.property(commentArb, (s) => {
        const line = `-A X -m comment --comment ${quoteArg(s)} -j ACCEPT`
        const r = parseRule(line, 'filter')
        expect(r.comment).toBe(s)
        expect(writeRule(r)).toBe(line)
        expect(line.includes('"')).toBe(!/^[A-Za-z0-9_-]+$/.test(s))
      }),
      {numRuns: 1000},
    )
  })

  it('validateComment accepts exactly what fits 255 bytes without control characters', () => {
    fc.assert(
      fc.property(fc.string({unit: printable, maxLength: 300}), (s) => {
        const ok = Buffer.byteLength(s) <= 255
        if (ok) expect(validateComment(s)).toBe(s)
        else expect(() => validateComment(s)).toThrow(InvalidNameError)
      }),
    )
  })
})

describe('rules', () => {
  it('write → parse gives the same typed rule (negation, counters, chain names)', () => {
    fc.assert(
      fc.property(ruleArb, (r) => {
        const text = writeRule(r)
        const back = parseRule(text, 'filter')
        expect(back.chain).toBe(r.chain)
        expect(back.matches).toEqual(r.matches)
        expect(back.target).toEqual(r.target)
        expect(back.counters).toEqual(r.counters)
      }),
      {numRuns: 1000},
    )
  })

  it('negation is always written before its option', () => {
    fc.assert(
      fc.property(ruleArb, (r) => {
        const words = tokenize(writeRuleArgs(r))
        words.forEach((w, i) => {
          if (!w.quoted && w.value === '!') expect(words[i + 1]?.value).toMatch(/^-/)
        })
      }),
    )
  })

  it('normal form is a fixed point', () => {
    fc.assert(
      fc.property(ruleArb, (r) => {
        const once = normalizeRule(r, {family: 'ipv4'})
        expect(normalizeRule(once, {family: 'ipv4'})).toEqual(once)
        expect(once).toEqual({matches: r.matches, target: r.target})
      }),
    )
  })

  it('counters of chains and rules survive a whole ruleset round trip', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, {maxLength: 8}), u64, u64, (rules, p, b) => {
        const rs: Ruleset = {
          tables: [
            {
              name: 'filter',
              chains: [
                {name: 'INPUT', policy: 'DROP', counters: {packets: p, bytes: b}},
                ...[...new Set(rules.map((r) => r.chain))].map((c) => ({
                  name: c,
                  policy: '-',
                  counters: {packets: 0n, bytes: 0n},
                })),
              ],
              rules: rules.map((r) => parseRule(writeRule(r), 'filter')),
            },
          ],
        }
        expect(parseRuleset(writeRuleset(rs), {family: 'ipv4'})).toEqual(rs)
      }),
      {numRuns: 300},
    )
  })
})

describe('chain names', () => {
  it('accepts names of 1 to 28 characters', () => {
    fc.assert(
      fc.property(chainArb, (n) => {
        expect(validateChainName(n)).toBe(n)
      }),
    )
  })
  it('refuses longer names and names starting with - or !', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{28,40}$/), (n) => {
        expect(() => validateChainName(n)).toThrow(InvalidNameError)
      }),
    )
    fc.assert(
      fc.property(fc.constantFrom('-', '!', '.'), chainArb, (c, n) => {
        expect(() => validateChainName(`${c}${n}`.slice(0, 28))).toThrow(InvalidNameError)
      }),
    )
  })
})
