// Conditions and evaluation order: when moving a rule into dockwall's chain keeps every
// verdict, and what dockwall's RELATED,ESTABLISHED accept changes.
import {describe, expect, it} from 'vitest'

import {ESTABLISHED_COND, condOf, covers, intersect, mayOverlap, parseNet} from '../../../src/import/conditions.js'
import {
  type ChainRules,
  type Item,
  decideMoves,
  establishedChanges,
  expand,
  firstMatch,
  newOrder,
  policyDropsEstablished,
} from '../../../src/import/order.js'
import {parseRuleset} from '../../../src/netfilter/index.js'
import {rule} from './helpers.js'

const cond = (line: string) => condOf(rule('filter', line))

describe('conditions', () => {
  it('reads addresses, interfaces, protocol, ports and states', () => {
    expect(
      cond(
        '-A FORWARD -s 10.0.0.0/8 -d 172.18.0.2/32 -i wg0 -o br-x -p tcp -m multiport --dports 80,443 -m conntrack --ctstate NEW -j ACCEPT',
      ),
    ).toEqual({
      src: parseNet('10.0.0.0/8'),
      dst: parseNet('172.18.0.2/32'),
      inIf: 'wg0',
      outIf: 'br-x',
      proto: 'tcp',
      dports: [
        {from: 80, to: 80},
        {from: 443, to: 443},
      ],
      states: new Set(['NEW']),
      partial: false,
    })
    expect(cond('-A FORWARD -d 10.0.0.1/32 -m conntrack --ctstate DNAT -j ACCEPT')).toMatchObject({
      dnat: true,
      partial: false,
    })
  })

  it('marks what it cannot model as partial', () => {
    expect(cond('-A FORWARD ! -s 10.0.0.0/8 -j DROP').partial).toBe(true)
    expect(cond('-A FORWARD -m recent --set -j DROP').partial).toBe(true)
    expect(cond('-A FORWARD -p tcp -m tcp --sport 22 -j DROP').partial).toBe(true)
    expect(cond('-A FORWARD -m comment --comment x -j DROP').partial).toBe(false)
  })

  it.each([
    ['-A F -s 10.0.0.0/8 -j DROP', '-A F -s 10.1.0.0/16 -j ACCEPT', true],
    ['-A F -s 10.0.0.0/8 -j DROP', '-A F -s 192.168.0.0/16 -j ACCEPT', false],
    ['-A F -i wg0 -j DROP', '-A F -i eth0 -j ACCEPT', false],
    ['-A F -i veth+ -j DROP', '-A F -i veth12 -j ACCEPT', true],
    ['-A F -p tcp -m tcp --dport 80 -j DROP', '-A F -p udp -m udp --dport 80 -j ACCEPT', false],
    ['-A F -p tcp -m tcp --dport 80 -j DROP', '-A F -p tcp -m multiport --dports 443,8000:8100 -j ACCEPT', false],
    ['-A F -p tcp -m tcp --dport 8080 -j DROP', '-A F -p tcp -m tcp --dport 8000:8100 -j ACCEPT', true],
    ['-A F -m conntrack --ctstate NEW -j DROP', '-A F -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', false],
    ['-A F ! -s 10.0.0.0/8 -j DROP', '-A F -s 10.0.0.0/8 -j ACCEPT', true], // negation is not used to prove disjointness
  ])('%s and %s overlap: %s', (a, b, overlap) => {
    expect(mayOverlap(cond(a), cond(b))).toBe(overlap)
    expect(intersect(cond(a), cond(b)) === null).toBe(!overlap)
  })

  it.each([
    ['-A F -j DROP', '-A F -s 10.0.0.0/8 -p tcp -m tcp --dport 80 -j ACCEPT', true],
    ['-A F -s 10.0.0.0/8 -j DROP', '-A F -s 10.1.0.0/16 -j ACCEPT', true],
    ['-A F -s 10.1.0.0/16 -j DROP', '-A F -s 10.0.0.0/8 -j ACCEPT', false],
    ['-A F -i veth+ -j DROP', '-A F -i veth0 -j ACCEPT', true],
    ['-A F -p tcp -m tcp --dport 8000:8100 -j DROP', '-A F -p tcp -m multiport --dports 8080,8090 -j ACCEPT', true],
    ['-A F -m recent --set -j DROP', '-A F -s 10.0.0.0/8 -j ACCEPT', false],
    [
      '-A F -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A F -m conntrack --ctstate ESTABLISHED -j DROP',
      true,
    ],
    ['-A F -d 10.0.0.1/32 -m conntrack --ctstate DNAT -j ACCEPT', '-A F -d 10.0.0.1/32 -j DROP', false],
  ])('%s covers %s: %s', (a, b, expected) => {
    expect(covers(cond(a), cond(b))).toBe(expected)
  })
})

function chainsOf(dump: string, table = 'filter'): Map<string, ChainRules> {
  const t = parseRuleset(dump).tables.find((x) => x.name === table)!
  return new Map(
    t.chains.map((c) => [
      c.name,
      {policy: c.policy === '-' ? null : c.policy, rules: t.rules.filter((r) => r.chain === c.name)},
    ]),
  )
}

function filter(chains: Record<string, string[]>, policies: Record<string, string> = {}): string {
  const lines = ['*filter']
  for (const name of Object.keys(chains))
    lines.push(`:${name} ${policies[name] ?? (['INPUT', 'FORWARD', 'OUTPUT'].includes(name) ? 'ACCEPT' : '-')} [0:0]`)
  for (const [name, rules] of Object.entries(chains)) for (const r of rules) lines.push(`-A ${name} ${r}`)
  lines.push('COMMIT', '')
  return lines.join('\n')
}

/** The items of the chain `chain` at 1-based positions. */
function at(items: readonly Item[], chain: string, ...positions: number[]): Item[] {
  return positions.map((p) => items.find((i) => i.chain === chain && i.position === p - 1)!)
}

const never = (): boolean => false

describe('expand', () => {
  it("follows jumps into user chains, adding the jump's conditions", () => {
    const seq = expand(
      chainsOf(
        filter({
          FORWARD: ['-j DOCKER-USER', '-o br-a -j DOCKER', '-i br-a -j ACCEPT'],
          'DOCKER-USER': ['-s 10.0.0.0/8 -j DROP', '-j RETURN'],
          DOCKER: ['-d 172.18.0.2/32 -p tcp -m tcp --dport 80 -j ACCEPT'],
        }),
      ),
      'FORWARD',
      'DOCKER-USER',
      never,
    )
    expect(seq.items.map((i) => `${i.chain}#${i.position + 1}`)).toEqual([
      'DOCKER-USER#1',
      'DOCKER-USER#2',
      'DOCKER#1',
      'FORWARD#3',
    ])
    expect(seq.insertAt).toBe(0)
    expect(seq.items[2]!.cond).toMatchObject({outIf: 'br-a', dst: parseNet('172.18.0.2/32')})
    expect(seq.policy).toBe('ACCEPT')
  })

  it('leaves the jump point undefined when DOCKER-USER is never reached', () => {
    const seq = expand(
      chainsOf(filter({FORWARD: ['-j ACCEPT'], 'DOCKER-USER': ['-j DROP']})),
      'FORWARD',
      'DOCKER-USER',
      never,
    )
    expect(seq.insertAt).toBeUndefined()
    const d = decideMoves(seq, new Set(seq.items))
    expect(d.moving.size).toBe(0)
  })
})

describe('decideMoves', () => {
  it('moves the rules of DOCKER-USER that come before its closing RETURN', () => {
    const seq = expand(
      chainsOf(
        filter({
          FORWARD: ['-j DOCKER-USER', '-j DOCKER-ISOLATION-STAGE-1', '-i br-a ! -o br-a -j ACCEPT'],
          'DOCKER-USER': ['-s 10.0.0.0/8 -d 172.18.0.2/32 -j ACCEPT', '-s 192.168.7.0/24 -j DROP', '-j RETURN'],
          'DOCKER-ISOLATION-STAGE-1': ['-i br-a ! -o br-a -j DROP', '-j RETURN'],
        }),
      ),
      'FORWARD',
      'DOCKER-USER',
      never,
    )
    const candidates = new Set(at(seq.items, 'DOCKER-USER', 1, 2))
    const d = decideMoves(seq, candidates)
    expect(d.moving).toEqual(candidates)
    expect(d.kept.size).toBe(0)
  })

  it('keeps rules that an unconditional RETURN hides: importing would make them take effect', () => {
    const seq = expand(
      chainsOf(filter({FORWARD: ['-j DOCKER-USER'], 'DOCKER-USER': ['-j RETURN', '-s 10.0.0.0/8 -j DROP']})),
      'FORWARD',
      'DOCKER-USER',
      never,
    )
    const [dead] = at(seq.items, 'DOCKER-USER', 2)
    const d = decideMoves(seq, new Set([dead!]))
    expect(d.kept.get(dead!)?.why).toMatch(/never reached/)
  })

  it("keeps a rule appended to FORWARD after Docker's when Docker's rules decide the same packets differently", () => {
    // docker-fw's "DROP appended as exiting rule": moved to the top it would drop everything
    const seq = expand(
      chainsOf(
        filter({
          FORWARD: [
            '-j DOCKER-USER',
            '-o br-a -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
            '-i br-a ! -o br-a -j ACCEPT',
            '-j DROP',
            '-s 10.9.0.0/16 -i wg0 -o eth0 -j ACCEPT',
          ],
          'DOCKER-USER': ['-j RETURN'],
        }),
      ),
      'FORWARD',
      'DOCKER-USER',
      never,
    )
    const [drop, wg] = at(seq.items, 'FORWARD', 4, 5)
    const d = decideMoves(seq, new Set([drop!, wg!]))
    expect(d.kept.get(drop!)?.why).toMatch(/different outcomes/)
    // the wg0 → eth0 accept came after the drop-all: it was never reached, and stays so
    expect(d.kept.get(wg!)?.why).toMatch(/never reached/)
  })

  it("moves a FORWARD rule past Docker's when they cannot match the same packets", () => {
    const seq = expand(
      chainsOf(
        filter({
          FORWARD: ['-j DOCKER-USER', '-o br-a -j ACCEPT', '-i wg0 -o eth0 -j ACCEPT'],
          'DOCKER-USER': [],
        }),
      ),
      'FORWARD',
      'DOCKER-USER',
      never,
    )
    const [wg] = at(seq.items, 'FORWARD', 3)
    expect(decideMoves(seq, new Set([wg!])).moving.has(wg!)).toBe(true)
  })

  it('holds back, in turn, the rules behind a rule that must stay', () => {
    // #1 cannot be imported (recent), #2 overlaps it with another verdict, #3 overlaps only #2, #4 nothing
    const seq = expand(
      chainsOf(
        filter({
          INPUT: [
            '-s 10.0.0.0/8 -p tcp -m tcp --dport 22 -m recent --set -j DROP',
            '-s 10.0.0.0/8 -j ACCEPT',
            '-s 10.0.0.0/8 -p udp -j REJECT',
            '-s 192.168.0.0/16 -j DROP',
          ],
        }),
      ),
      'INPUT',
      'INPUT',
      never,
    )
    const [two, three, four] = at(seq.items, 'INPUT', 2, 3, 4)
    const d = decideMoves(seq, new Set([two!, three!, four!]))
    expect(d.kept.get(two!)?.because.position).toBe(0)
    expect(d.kept.get(three!)?.because).toBe(two)
    expect(d.moving).toEqual(new Set([four]))
  })

  it('lets a rule move past a LOG (it does not decide)', () => {
    const seq = expand(chainsOf(filter({INPUT: ['-j LOG', '-s 10.0.0.0/8 -j DROP']})), 'INPUT', 'INPUT', never)
    const [drop] = at(seq.items, 'INPUT', 2)
    expect(decideMoves(seq, new Set([drop!])).moving.has(drop!)).toBe(true)
  })
})

describe('established and first-match analysis', () => {
  it('finds drops that used to see replies before any RELATED,ESTABLISHED accept', () => {
    // network-go style without the established accept first: the drop also dropped replies
    const seq = expand(
      chainsOf(
        filter({
          FORWARD: ['-j DOCKER-USER'],
          'DOCKER-USER': [
            '-s 10.0.0.0/8 -j DROP',
            '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
            '-s 192.168.0.0/16 -j DROP',
          ],
        }),
      ),
      'FORWARD',
      'DOCKER-USER',
      never,
    )
    const [first, , last] = at(seq.items, 'DOCKER-USER', 1, 2, 3)
    const moving = new Set([first!, last!])
    expect(establishedChanges(seq, moving, ESTABLISHED_COND)).toEqual([first])
  })

  it('says when the chain policy dropped replies no rule accepted', () => {
    const accepts = expand(
      chainsOf(filter({FORWARD: ['-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT']}, {FORWARD: 'DROP'})),
      'FORWARD',
      'FORWARD',
      never,
    )
    const none = expand(
      chainsOf(filter({FORWARD: ['-s 10.0.0.0/8 -j ACCEPT']}, {FORWARD: 'DROP'})),
      'FORWARD',
      'FORWARD',
      never,
    )
    expect(policyDropsEstablished(accepts, ESTABLISHED_COND)).toBe(false)
    expect(policyDropsEstablished(none, ESTABLISHED_COND)).toBe(true)
  })

  it('finds what decides a class of packets, before and after a move', () => {
    const seq = expand(
      chainsOf(
        filter(
          {FORWARD: ['-s 10.0.0.0/8 -j ACCEPT', '-d 172.18.0.2/32 -p tcp -m tcp --dport 80 -j DROP']},
          {FORWARD: 'DROP'},
        ),
      ),
      'FORWARD',
      'FORWARD',
      never,
    )
    const cls = cond('-A F -d 172.18.0.2/32 -p tcp -m tcp --dport 80')
    expect(firstMatch(seq.items, cls, seq.policy)).toMatchObject({kind: 'uncertain'})
    expect(firstMatch(seq.items, cls, seq.policy, 'ACCEPT')).toMatchObject({kind: 'decided', target: 'DROP'})
    expect(firstMatch([], cls, 'DROP')).toEqual({kind: 'policy', policy: 'DROP'})
    const [drop] = at(seq.items, 'FORWARD', 2)
    expect(newOrder(seq, new Set([drop!]), [drop!]).map((i) => i.position)).toEqual([1, 0])
  })
})
