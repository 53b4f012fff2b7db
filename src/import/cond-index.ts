// Finds, among many rules' conditions, the few that can matter for one condition:
// those that may cover it (could hide it) or may overlap it (could be reordered
// against it). Import asks these questions for every pair of rules in a chain; on a
// host with 20,000 foreign rules, asking them pair by pair took minutes (issue 13).
//
// Two binary tries, one on source and one on destination prefixes. A condition
// without an address (any) sits at the root. Whatever covers `c` on one address sits
// on the path from the root to `c`'s node; whatever overlaps it sits on that path or
// below `c`'s node. Each query walks the trie whose answer is smaller (every node
// knows the size of its subtree) and leaves the exact test to the caller: the index
// only rules out what cannot match.
import {type Cidr, networkOf} from '../config/ipv4.js'
import {type Cidr6, networkOf6} from '../config/ipv6.js'
import type {Cond, Net} from './conditions.js'

interface Node<T> {
  /** Entries whose address is exactly this prefix, in insertion order. */
  here: T[]
  zero?: Node<T>
  one?: Node<T>
  /** Entries here and below. */
  size: number
}

const newNode = <T>(): Node<T> => ({here: [], size: 0})

/** Bit `i` (from the top) of the block's network address; a trie holds one family only. */
function bit(c: Net, i: number): 0 | 1 {
  if (typeof c.ip === 'number') return ((networkOf(c as Cidr) >>> (31 - i)) & 1) as 0 | 1
  return Number((networkOf6(c as Cidr6) >> BigInt(127 - i)) & 1n) as 0 | 1
}

class PrefixTrie<T> {
  readonly root: Node<T> = newNode()

  add(c: Net | undefined, entry: T): void {
    let n = this.root
    n.size++
    for (let i = 0; c && i < c.prefix; i++) {
      const k = bit(c, i) === 0 ? 'zero' : 'one'
      n = n[k] ??= newNode()
      n.size++
    }
    n.here.push(entry)
  }

  /** The nodes from the root down to `c` (as far as they exist), and the node of `c` itself when it exists. */
  private path(c: Net | undefined): {ancestors: Node<T>[]; at: Node<T> | undefined} {
    const ancestors: Node<T>[] = [this.root]
    let n: Node<T> | undefined = this.root
    for (let i = 0; c && n && i < c.prefix; i++) {
      n = bit(c, i) === 0 ? n.zero : n.one
      if (n) ancestors.push(n)
    }
    return {ancestors, at: n}
  }

  /** How many entries coverCandidates / overlapCandidates would give. */
  coverCount(c: Net | undefined): number {
    return this.path(c).ancestors.reduce((sum, n) => sum + n.here.length, 0)
  }

  overlapCount(c: Net | undefined): number {
    const {ancestors, at} = this.path(c)
    const above = ancestors.slice(0, at ? -1 : undefined).reduce((sum, n) => sum + n.here.length, 0)
    return above + (at?.size ?? 0)
  }

  /** Entries whose prefix contains `c` (an entry without an address contains everything). */
  *coverCandidates(c: Net | undefined): Iterable<T> {
    for (const n of this.path(c).ancestors) yield* n.here
  }

  /** Entries whose prefix contains `c` or lies inside it. */
  *overlapCandidates(c: Net | undefined): Iterable<T> {
    const {ancestors, at} = this.path(c)
    for (const n of ancestors.slice(0, at ? -1 : undefined)) yield* n.here
    if (!at) return
    const stack: Node<T>[] = [at]
    while (stack.length > 0) {
      const n = stack.pop()!
      yield* n.here
      if (n.one) stack.push(n.one)
      if (n.zero) stack.push(n.zero)
    }
  }
}

/** Conditions indexed by their source and destination prefixes. */
export class CondIndex<T extends {cond: Cond}> {
  private readonly bySrc = new PrefixTrie<T>()
  private readonly byDst = new PrefixTrie<T>()
  private count = 0

  get size(): number {
    return this.count
  }

  add(entry: T): void {
    this.bySrc.add(entry.cond.src, entry)
    this.byDst.add(entry.cond.dst, entry)
    this.count++
  }

  /** A superset of the entries whose condition may cover `c` (in no particular order). */
  coverCandidates(c: Cond): Iterable<T> {
    return this.bySrc.coverCount(c.src) <= this.byDst.coverCount(c.dst)
      ? this.bySrc.coverCandidates(c.src)
      : this.byDst.coverCandidates(c.dst)
  }

  /** A superset of the entries whose condition may overlap `c` (in no particular order). */
  overlapCandidates(c: Cond): Iterable<T> {
    return this.bySrc.overlapCount(c.src) <= this.byDst.overlapCount(c.dst)
      ? this.bySrc.overlapCandidates(c.src)
      : this.byDst.overlapCandidates(c.dst)
  }
}
