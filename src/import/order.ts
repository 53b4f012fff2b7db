// Evaluation order. Import moves rules out of foreign chains into dockwall's chain,
// which is jumped to from one fixed place (the top of DOCKER-USER, else of FORWARD,
// INPUT, PREROUTING, POSTROUTING). A moved rule is then evaluated before every rule
// that stays behind after that place, and after every rule that stays before it. When
// such a change of order can change a verdict, the rule must stay where it is.
//
// To see what is evaluated in what order, a root chain is expanded: jumps to user
// chains are followed (their rules inherit the jump's conditions), giving one flat
// sequence of items. Each item knows where it lives and what it does to a packet.
import type {Rule} from '../netfilter/index.js'
import {writeRuleArgs} from '../netfilter/index.js'
import {CondIndex} from './cond-index.js'
import {ANY, type Cond, condOf, covers, intersect, mayOverlap} from './conditions.js'

export type Outcome =
  /** A verdict or a NAT decision that ends the packet's walk: ACCEPT, DROP, DNAT… (`target` is its text). */
  | {kind: 'decides'; target: string}
  /** The packet goes on unchanged (LOG and friends, or no target). */
  | {kind: 'passive'}
  /** RETURN: the rest of the chain it is in (frame) is skipped. */
  | {kind: 'return'; frame: number}
  /** An effect import cannot see through: MARK, goto, a jump too deep or to a missing chain. */
  | {kind: 'opaque'}

export interface ChainRules {
  /** Built-in chains have a policy; user chains null. */
  policy: string | null
  rules: readonly Rule[]
}

export interface Item {
  /** Position in the expanded sequence. */
  index: number
  /** Where the rule lives (its own chain, 0-based index there). */
  chain: string
  position: number
  rule: Rule
  /** The rule's conditions and those of the jumps leading to it. */
  cond: Cond
  outcome: Outcome
  /** Expansion frames from the root to the chain the rule lives in (for RETURN). */
  frames: readonly number[]
  /** Never evaluated: an earlier rule decides (or RETURNs) every packet it matches. */
  dead: boolean
}

export interface Sequence {
  root: string
  items: Item[]
  /** Where dockwall's chain is evaluated: items with index < insertAt come before it. Undefined when the jump point is never reached. */
  insertAt: number | undefined
  /** The root chain's policy (ACCEPT, DROP), the verdict for packets no rule decides. */
  policy: string | null
}

const PASSIVE_TARGETS = new Set(['LOG', 'NFLOG', 'ULOG', 'TRACE'])
const DECIDING_TARGETS = new Set(['ACCEPT', 'DROP', 'REJECT', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP'])
const MAX_DEPTH = 8

export function targetText(rule: Pick<Rule, 'target'>): string {
  return rule.target ? writeRuleArgs({matches: [], target: rule.target}).replace(/^-[jg] /, '') : ''
}

/**
 * Expands `root` of one table. `jumpFrom` is the chain whose top dockwall's chain is
 * jumped from (DOCKER-USER or the root itself). Rules for which `skip` is true
 * (dockwall's own) are left out, and their jumps are not followed.
 */
export function expand(
  chains: ReadonlyMap<string, ChainRules>,
  root: string,
  jumpFrom: string,
  skip: (r: Rule) => boolean,
): Sequence {
  const items: Item[] = []
  let insertAt: number | undefined
  let frameId = 0
  const walk = (chain: string, cond: Cond, frames: readonly number[], visiting: ReadonlySet<string>): void => {
    const frame = frameId++
    const inner = [...frames, frame]
    if (chain === jumpFrom && insertAt === undefined) insertAt = items.length
    const rules = chains.get(chain)?.rules ?? []
    rules.forEach((rule, position) => {
      if (skip(rule)) return
      const c = intersect(cond, condOf(rule))
      if (c === null) return // cannot match any packet that reaches it
      const t = rule.target
      const follow =
        t?.kind === 'jump' &&
        chains.has(t.name) &&
        chains.get(t.name)!.policy === null &&
        !visiting.has(t.name) &&
        inner.length < MAX_DEPTH
      if (follow) {
        walk(t.name, c, inner, new Set([...visiting, t.name]))
        return
      }
      items.push({
        index: items.length,
        chain,
        position,
        rule,
        cond: c,
        outcome: outcomeOf(rule, frame, chains),
        frames: inner,
        dead: false,
      })
    })
  }
  walk(root, ANY, [], new Set([root]))
  markDead(items)
  return {root, items, insertAt, policy: chains.get(root)?.policy ?? null}
}

function some<T>(xs: Iterable<T>, f: (x: T) => boolean): boolean {
  for (const x of xs) if (f(x)) return true
  return false
}

/** Marks the items an earlier one hides, looking only at earlier items that may cover each (CondIndex). */
function markDead(items: readonly Item[]): void {
  const deciders = new CondIndex<Item>()
  const returns: Item[] = []
  for (const x of items) {
    x.dead = returns.some((e) => hides(e, x)) || some(deciders.coverCandidates(x.cond), (e) => hides(e, x))
    if (x.outcome.kind === 'decides') deciders.add(x)
    else if (x.outcome.kind === 'return') returns.push(x)
  }
}

/** True when `e`, evaluated first, takes every packet `x` matches away from it. */
function hides(e: Item, x: Item): boolean {
  const o = e.outcome
  const applies = o.kind === 'decides' || (o.kind === 'return' && x.frames.includes(o.frame))
  return applies && covers(e.cond, x.cond)
}

function outcomeOf(rule: Rule, frame: number, chains: ReadonlyMap<string, ChainRules>): Outcome {
  const t = rule.target
  if (!t) return {kind: 'passive'}
  if (t.kind === 'goto' || chains.has(t.name)) return {kind: 'opaque'}
  if (t.name === 'RETURN') return {kind: 'return', frame}
  if (PASSIVE_TARGETS.has(t.name)) return {kind: 'passive'}
  if (DECIDING_TARGETS.has(t.name)) return {kind: 'decides', target: targetText(rule)}
  return {kind: 'opaque'}
}

/** Why moving `moved` past `stays` (in either direction) can change a verdict; undefined when it cannot. */
export function orderConflict(stays: Item, moved: Item): string | undefined {
  const o = stays.outcome
  if (o.kind === 'passive') return undefined
  if (!mayOverlap(stays.cond, moved.cond)) return undefined
  if (o.kind === 'return') {
    // A RETURN only hides the rest of its own chain.
    if (stays.index > moved.index || !moved.frames.includes(o.frame)) return undefined
    return covers(stays.cond, moved.cond)
      ? 'it is never reached (an earlier RETURN takes every packet it matches); moving it would make it take effect'
      : 'an earlier RETURN in the same chain takes some of the packets it matches'
  }
  if (o.kind === 'decides' && moved.outcome.kind === 'decides' && o.target === moved.outcome.target) return undefined
  if (stays.index < moved.index && covers(stays.cond, moved.cond) && o.kind === 'decides') {
    return 'it is never reached (an earlier rule that stays decides every packet it matches); moving it ahead would make it take effect'
  }
  return 'the two can match the same packets with different outcomes'
}

/** True when the move changes whether `stays` is evaluated before `moved`. */
export function flips(seq: Sequence, stays: Item, moved: Item): boolean {
  const before = stays.index < moved.index
  const after = seq.insertAt !== undefined && stays.index < seq.insertAt
  return before !== after
}

export interface Decision {
  /** Items that may move into dockwall's chain (subset of the candidates). */
  moving: Set<Item>
  /** Items whose copy sits at the top of dockwall's chain (see decideMoves). */
  head: ReadonlySet<Item>
  /** Candidates that must stay, with the rule they would be reordered against. */
  kept: Map<Item, {because: Item; why: string}>
}

/**
 * Which candidates can move without changing a verdict. A candidate that must stay
 * becomes a rule that stays, which can in turn hold back others: repeat until
 * nothing changes. Every move is then order-safe against every rule that stays.
 *
 * `head` holds rules whose effect dockwall's chain provides at its top anyway (the
 * firewall block's RELATED,ESTABLISHED accept): they are not reasons to keep a rule
 * in place, since their copy moves with it; what that copy changes is reported by
 * establishedChanges.
 */
export function decideMoves(
  seq: Sequence,
  candidates: ReadonlySet<Item>,
  head: ReadonlySet<Item> = new Set(),
): Decision {
  const moving = new Set(candidates)
  const kept = new Map<Item, {because: Item; why: string}>()
  if (seq.insertAt === undefined) {
    for (const c of candidates) kept.set(c, {because: c, why: "dockwall's chain would not be reached from this chain"})
    return {moving: new Set(), head, kept}
  }
  // A rule that stays can hold back a candidate; a candidate held back stays, and can in
  // turn hold back others. Both questions go through indexes of the conditions, so a
  // candidate is tested only against the rules that may match the same packets.
  const staying = (s: Item): boolean => !moving.has(s) && !head.has(s) && !s.dead && s.outcome.kind !== 'passive'
  const stays = new CondIndex<Item>()
  for (const s of seq.items) if (staying(s)) stays.add(s)
  const movers = new CondIndex<Item>()
  for (const r of candidates) movers.add(r)
  /** The first rule that stays and would be reordered against `r` with a possible change of verdict. */
  const firstConflict = (r: Item): {because: Item; why: string} | undefined => {
    let best: {because: Item; why: string} | undefined
    for (const s of stays.overlapCandidates(r.cond)) {
      if (s === r || (best && s.index >= best.because.index) || !flips(seq, s, r)) continue
      const why = orderConflict(s, r)
      if (why !== undefined) best = {because: s, why}
    }
    return best
  }
  const newlyStaying: Item[] = []
  const keep = (r: Item, reason: {because: Item; why: string}): void => {
    moving.delete(r)
    kept.set(r, reason)
    if (staying(r)) {
      stays.add(r)
      newlyStaying.push(r)
    }
  }
  for (const r of seq.items) {
    if (!moving.has(r)) continue
    const reason = firstConflict(r)
    if (reason) keep(r, reason)
  }
  while (newlyStaying.length > 0) {
    const s = newlyStaying.pop()!
    for (const r of movers.overlapCandidates(s.cond)) {
      if (!moving.has(r) || !flips(seq, s, r) || orderConflict(s, r) === undefined) continue
      keep(r, firstConflict(r) ?? {because: s, why: orderConflict(s, r)!})
    }
  }
  return {moving, head, kept}
}

/**
 * For each moved item, the rules that stay but change sides relative to it (they were
 * evaluated before it and are now after, or the reverse) and decide packets: how many,
 * and the first. One pass over the sequence; then each question costs O(1).
 */
export function passedByMove(seq: Sequence, decision: Decision): (moved: Item) => {count: number; first?: Item} {
  const {moving, head} = decision
  const n = seq.items.length
  // before[i]: deciding rules that stay among items[0..i); next[i]: the first such at or after i.
  const before = new Array<number>(n + 1).fill(0)
  const next = new Array<number>(n + 1).fill(n)
  const counts = (s: Item): boolean => !moving.has(s) && !head.has(s) && !s.dead && s.outcome.kind === 'decides'
  seq.items.forEach((s, i) => (before[i + 1] = before[i]! + (counts(s) ? 1 : 0)))
  for (let i = n - 1; i >= 0; i--) next[i] = counts(seq.items[i]!) ? i : next[i + 1]!
  return (moved) => {
    // flips(): the rules between the moved item's old place and dockwall's chain.
    const at = seq.insertAt ?? 0
    const lo = seq.insertAt === undefined ? 0 : Math.min(moved.index, at)
    const hi = seq.insertAt === undefined ? moved.index : Math.max(moved.index, at)
    const count = before[hi]! - before[lo]!
    return count === 0 ? {count} : {count, first: seq.items[next[lo]!]!}
  }
}

export type FirstMatch =
  | {kind: 'decided'; target: string; item?: Item}
  | {kind: 'uncertain'; item: Item}
  | {kind: 'policy'; policy: string | null}

/**
 * What decides the packets of `cls` in `order`, as far as conditions tell. Rules that
 * take part of them with the verdict `same` are passed over: whichever rule decides
 * the rest, those packets end the same way.
 */
export function firstMatch(order: readonly Item[], cls: Cond, policy: string | null, same?: string): FirstMatch {
  const returned = new Set<number>()
  for (const item of order) {
    const o = item.outcome
    if (item.dead || o.kind === 'passive' || item.frames.some((f) => returned.has(f)) || !mayOverlap(item.cond, cls))
      continue
    if (o.kind === 'decides' && covers(item.cond, cls)) return {kind: 'decided', target: o.target, item}
    if (o.kind === 'return' && covers(item.cond, cls)) {
      // the rest of that chain is skipped; evaluation goes on after the jump
      returned.add(o.frame)
      continue
    }
    if (o.kind === 'decides' && o.target === same) continue
    return {kind: 'uncertain', item}
  }
  return {kind: 'policy', policy}
}

/** The order after the move: what stays before dockwall's chain, the chain (in `block` order), what stays after. */
export function newOrder(seq: Sequence, moving: ReadonlySet<Item>, block: readonly Item[]): Item[] {
  const at = seq.insertAt ?? seq.items.length
  const stays = seq.items.filter((i) => !moving.has(i))
  return [...stays.filter((i) => i.index < at), ...block, ...stays.filter((i) => i.index >= at)]
}

/**
 * Items that, after import, no longer see replies and related packets because the
 * firewall block's RELATED,ESTABLISHED accept (first in dockwall's forward chain)
 * takes them first, while before import nothing accepted them earlier.
 */
export function establishedChanges(seq: Sequence, moving: ReadonlySet<Item>, established: Cond): Item[] {
  const at = seq.insertAt ?? seq.items.length
  const accepts = new CondIndex<Item>()
  const out: Item[] = []
  for (const x of seq.items) {
    // Items evaluated after dockwall's chain once the move is done: the moved ones and those behind the jump.
    const after = moving.has(x) || x.index >= at
    if (
      after &&
      !x.dead &&
      x.outcome.kind !== 'passive' &&
      x.outcome.kind !== 'return' &&
      !(x.outcome.kind === 'decides' && x.outcome.target === 'ACCEPT')
    ) {
      const hit = intersect(x.cond, established)
      if (hit !== null && !some(accepts.coverCandidates(hit), (a) => covers(a.cond, hit))) out.push(x)
    }
    if (x.outcome.kind === 'decides' && x.outcome.target === 'ACCEPT') accepts.add(x)
  }
  return out
}

/** True when, before import, the chain policy was reached by some reply a rule did not accept. */
export function policyDropsEstablished(seq: Sequence, established: Cond): boolean {
  if (seq.policy !== 'DROP' && seq.policy !== 'REJECT') return false
  return !seq.items.some(
    (a) => a.outcome.kind === 'decides' && a.outcome.target === 'ACCEPT' && covers(a.cond, established),
  )
}
