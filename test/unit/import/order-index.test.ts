// The indexed order analysis (cond-index.ts, and its use in order.ts) against the
// pairwise definitions it replaces, on random chains: the index may only speed the
// answers up, never change them.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {CondIndex} from '../../../src/import/cond-index.js'
import {type Cond, covers, ESTABLISHED_COND, intersect, mayOverlap} from '../../../src/import/conditions.js'
import {
  type ChainRules,
  type Item,
  decideMoves,
  establishedChanges,
  expand,
  flips,
  orderConflict,
  passedByMove,
  type Sequence,
} from '../../../src/import/order.js'
import {parseRuleset} from '../../../src/netfilter/index.js'

// Few distinct values, so that random rules often overlap, cover and conflict.
const cidr = fc.constantFrom<string | undefined>(
  undefined,
  '10.0.0.0/8',
  '10.1.0.0/16',
  '10.1.2.0/24',
  '10.1.2.3/32',
  '10.2.0.0/16',
  '0.0.0.0/0',
)
const ruleArb = fc.record({
  src: cidr,
  dst: fc.constantFrom<string | undefined>(
    undefined,
    '172.18.0.0/16',
    '172.18.1.0/24',
    '172.18.1.2/32',
    '172.19.0.2/32',
  ),
  proto: fc.constantFrom(undefined, 'tcp', 'udp'),
  port: fc.constantFrom(undefined, 80, 443),
  state: fc.constantFrom(undefined, 'NEW', 'RELATED,ESTABLISHED'),
  target: fc.constantFrom('ACCEPT', 'DROP', 'RETURN', 'LOG', 'SUB'),
})
type R = typeof ruleArb extends fc.Arbitrary<infer T> ? T : never

function line(chain: string, r: R): string {
  const parts = [`-A ${chain}`]
  if (r.src) parts.push(`-s ${r.src}`)
  if (r.dst) parts.push(`-d ${r.dst}`)
  const proto = r.port !== undefined ? (r.proto ?? 'tcp') : r.proto
  if (proto) parts.push(`-p ${proto}`)
  if (r.port !== undefined) parts.push(`-m ${proto} --dport ${r.port}`)
  if (r.state) parts.push(`-m conntrack --ctstate ${r.state}`)
  parts.push(`-j ${r.target === 'SUB' && chain === 'SUB' ? 'ACCEPT' : r.target}`)
  return parts.join(' ')
}

function sequence(top: R[], sub: R[], insertAtUser: boolean): Sequence {
  const text = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':DOCKER-USER - [0:0]',
    ':SUB - [0:0]',
    ...(insertAtUser ? ['-A FORWARD -j DOCKER-USER'] : []),
    ...top.map((r) => line('DOCKER-USER', r)),
    ...sub.map((r) => line('SUB', r)),
    ...top.slice(0, 3).map((r) => line('FORWARD', r)),
    'COMMIT',
    '',
  ].join('\n')
  const table = parseRuleset(text).tables[0]!
  const chains = new Map<string, ChainRules>()
  for (const c of table.chains)
    chains.set(c.name, {
      policy: c.policy === '-' ? null : c.policy,
      rules: table.rules.filter((x) => x.chain === c.name),
    })
  return expand(chains, 'FORWARD', 'DOCKER-USER', () => false)
}

const chainArb = fc.record({
  top: fc.array(ruleArb, {maxLength: 14}),
  sub: fc.array(ruleArb, {maxLength: 5}),
  user: fc.boolean(),
  pick: fc.array(fc.boolean(), {minLength: 40, maxLength: 40}),
})

/** The pairwise definitions the indexed versions replaced (order.ts before issue 13). */
const reference = {
  dead(items: readonly Item[]): boolean[] {
    const hides = (e: Item, x: Item): boolean => {
      const o = e.outcome
      const applies = o.kind === 'decides' || (o.kind === 'return' && x.frames.includes(o.frame))
      return applies && covers(e.cond, x.cond)
    }
    return items.map((x) => items.some((e) => e.index < x.index && hides(e, x)))
  },
  moving(seq: Sequence, candidates: ReadonlySet<Item>): Set<Item> {
    const moving = new Set(candidates)
    if (seq.insertAt === undefined) return new Set()
    for (let changed = true; changed;) {
      changed = false
      for (const r of seq.items) {
        if (!moving.has(r)) continue
        for (const s of seq.items) {
          if (moving.has(s) || s.dead || s === r || !flips(seq, s, r)) continue
          if (orderConflict(s, r) === undefined) continue
          moving.delete(r)
          changed = true
          break
        }
      }
    }
    return moving
  },
  established(seq: Sequence, moving: ReadonlySet<Item>, established: Cond): Item[] {
    const at = seq.insertAt ?? seq.items.length
    return seq.items
      .filter((i) => moving.has(i) || i.index >= at)
      .filter((x) => {
        if (x.dead || x.outcome.kind === 'passive' || x.outcome.kind === 'return') return false
        if (x.outcome.kind === 'decides' && x.outcome.target === 'ACCEPT') return false
        const hit = intersect(x.cond, established)
        if (hit === null) return false
        return !seq.items.some(
          (a) =>
            a.index < x.index && a.outcome.kind === 'decides' && a.outcome.target === 'ACCEPT' && covers(a.cond, hit),
        )
      })
  },
}

describe('indexed order analysis', () => {
  it('finds exactly the rules an earlier one hides', () => {
    fc.assert(
      fc.property(chainArb, ({top, sub, user}) => {
        const seq = sequence(top, sub, user)
        // expand() marks dead items with the index; recompute them pairwise.
        const marked = seq.items.map((i) => i.dead)
        for (const i of seq.items) i.dead = false
        expect(marked).toEqual(reference.dead(seq.items))
      }),
      {numRuns: 400},
    )
  })

  it('moves exactly the candidates the pairwise fixpoint moves, and keeps each for a real conflict', () => {
    fc.assert(
      fc.property(chainArb, ({top, sub, user, pick}) => {
        const seq = sequence(top, sub, user)
        const candidates = new Set(seq.items.filter((_, i) => pick[i % pick.length]))
        const decision = decideMoves(seq, candidates)
        expect(new Set(decision.moving)).toEqual(reference.moving(seq, candidates))
        for (const [r, k] of decision.kept) {
          if (k.because === r) continue
          expect(flips(seq, k.because, r)).toBe(true)
          expect(orderConflict(k.because, r)).toBe(k.why)
        }
      }),
      {numRuns: 400},
    )
  })

  it('reports the same replies the RELATED,ESTABLISHED accept changes', () => {
    fc.assert(
      fc.property(chainArb, ({top, sub, user, pick}) => {
        const seq = sequence(top, sub, user)
        const moving = decideMoves(seq, new Set(seq.items.filter((_, i) => pick[i % pick.length]))).moving
        expect(establishedChanges(seq, moving, ESTABLISHED_COND)).toEqual(
          reference.established(seq, moving, ESTABLISHED_COND),
        )
      }),
      {numRuns: 300},
    )
  })

  it('counts the deciding rules a move passes, and names the first', () => {
    fc.assert(
      fc.property(chainArb, ({top, sub, user, pick}) => {
        const seq = sequence(top, sub, user)
        const decision = decideMoves(seq, new Set(seq.items.filter((_, i) => pick[i % pick.length])))
        const passed = passedByMove(seq, decision)
        for (const m of decision.moving) {
          const want = seq.items.filter(
            (s) => !decision.moving.has(s) && !s.dead && s.outcome.kind === 'decides' && flips(seq, s, m),
          )
          expect(passed(m)).toEqual(want.length === 0 ? {count: 0} : {count: want.length, first: want[0]})
        }
      }),
      {numRuns: 300},
    )
  })
})

describe('CondIndex', () => {
  const condArb = fc.record({src: cidr, dst: cidr}).map(({src, dst}) => {
    const c = sequence([{src, dst, proto: undefined, port: undefined, state: undefined, target: 'ACCEPT'}], [], true)
    return c.items.at(-1)!.cond
  })
  it('offers every entry that may cover or overlap a condition', () => {
    fc.assert(
      fc.property(fc.array(condArb, {maxLength: 30}), condArb, (conds, q) => {
        const index = new CondIndex<{cond: Cond; i: number}>()
        conds.forEach((cond, i) => index.add({cond, i}))
        const coverOffered = new Set([...index.coverCandidates(q)].map((e) => e.i))
        const overlapOffered = new Set([...index.overlapCandidates(q)].map((e) => e.i))
        conds.forEach((c, i) => {
          if (covers(c, q)) expect(coverOffered.has(i)).toBe(true)
          if (mayOverlap(c, q)) expect(overlapOffered.has(i)).toBe(true)
        })
      }),
      {numRuns: 500},
    )
  })

  it('offers few entries when sources differ (what makes import near-linear)', () => {
    const index = new CondIndex<{cond: Cond}>()
    const at = (i: number) =>
      sequence(
        [
          {
            src: `10.0.${i >> 8}.${i & 255}/32`,
            dst: undefined,
            proto: undefined,
            port: undefined,
            state: undefined,
            target: 'DROP',
          },
        ],
        [],
        true,
      ).items.at(-1)!.cond
    for (let i = 0; i < 2000; i++) index.add({cond: at(i)})
    expect([...index.overlapCandidates(at(77))]).toHaveLength(1)
    expect([...index.coverCandidates(at(77))]).toHaveLength(1)
  })
})
