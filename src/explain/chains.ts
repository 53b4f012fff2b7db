// A table's chains, compiled on first visit, with an index that lets a packet skip the
// rules that cannot match it. A chain of 20,000 `-s 10.x.y.z/32 ... -j ACCEPT` lines is
// not scanned per packet: its rules are bucketed by the key most of them share (source
// or destination prefix, input or output interface, destination port), and a packet
// visits only the rules of its bucket plus those without that key, in chain order.
import type {ChainDecl, Rule, Table} from '../netfilter/types.js'
import {maskOf, BITS} from './addr.js'
import {compileRule, type CompiledRule} from './compile.js'
import {ownerOf} from './owner.js'
import type {Pkt} from './packet.js'
import type {ChainRef, Family, NamespaceId, RuleRef} from './types.js'

/** Chains shorter than this are scanned: building an index costs more than it saves. */
export const INDEX_MIN_RULES = 32

type Dimension = 'src' | 'dst' | 'inIf' | 'outIf' | 'dport'

interface ChainIndex {
  dim: Dimension
  /** Rules without the key: candidates for every packet. */
  rest: number[]
  /** src/dst: prefix length → masked address → rules; others: key → rules. */
  byPrefix?: Map<number, Map<bigint, number[]>>
  byKey?: Map<string | number, number[]>
}

export interface CompiledChain {
  ref: ChainRef
  /** ACCEPT, DROP... for built-in chains; null for user chains. */
  policy: string | null
  rules: CompiledRule[]
  index: ChainIndex | null
}

/** Merges sorted lists of rule numbers into one sorted list. */
function mergeSorted(lists: number[][]): number[] {
  const nonEmpty = lists.filter((l) => l.length > 0)
  if (nonEmpty.length === 0) return []
  if (nonEmpty.length === 1) return nonEmpty[0]!
  return nonEmpty.reduce(merge2)
}

function merge2(a: number[], b: number[]): number[] {
  const out: number[] = new Array<number>(a.length + b.length)
  let i = 0
  let j = 0
  let k = 0
  while (i < a.length && j < b.length) out[k++] = a[i]! < b[j]! ? a[i++]! : b[j++]!
  while (i < a.length) out[k++] = a[i++]!
  while (j < b.length) out[k++] = b[j++]!
  return out
}

function buildIndex(rules: readonly CompiledRule[], family: Family, minRules: number): ChainIndex | null {
  if (rules.length < minRules) return null
  const dims: Dimension[] = ['src', 'dst', 'inIf', 'outIf', 'dport']
  let best: Dimension | null = null
  let bestCount = 0
  for (const d of dims) {
    let n = 0
    for (const r of rules) if (r.keys[d] !== undefined) n++
    if (n > bestCount) {
      best = d
      bestCount = n
    }
  }
  // Worth it only when the key splits off a good part of the chain.
  if (!best || bestCount * 4 < rules.length) return null
  const index: ChainIndex = {dim: best, rest: []}
  if (best === 'src' || best === 'dst') {
    const byPrefix = new Map<number, Map<bigint, number[]>>()
    rules.forEach((r, i) => {
      const c = r.keys[best as 'src' | 'dst']
      if (!c || c.prefix === null || c.family !== family) {
        index.rest.push(i)
        return
      }
      let m = byPrefix.get(c.prefix)
      if (!m) byPrefix.set(c.prefix, (m = new Map()))
      let l = m.get(c.value)
      if (!l) m.set(c.value, (l = []))
      l.push(i)
    })
    index.byPrefix = byPrefix
  } else {
    const byKey = new Map<string | number, number[]>()
    rules.forEach((r, i) => {
      const k = r.keys[best as 'inIf' | 'outIf' | 'dport']
      if (k === undefined) {
        index.rest.push(i)
        return
      }
      let l = byKey.get(k)
      if (!l) byKey.set(k, (l = []))
      l.push(i)
    })
    index.byKey = byKey
  }
  return index
}

const ALL = Symbol('all rules')

/** The rules (0-based) a packet may match, in order; ALL when the chain has no index. */
export function candidates(chain: CompiledChain, p: Pkt): number[] | typeof ALL {
  const ix = chain.index
  if (!ix) return ALL
  const lists: number[][] = [ix.rest]
  if (ix.byPrefix) {
    const v = ix.dim === 'src' ? p.src : p.dst
    const bits = BITS[p.family]
    for (const [len, m] of ix.byPrefix) {
      const l = m.get(v & maskOf(len, bits))
      if (l) lists.push(l)
    }
  } else if (ix.byKey) {
    const k = ix.dim === 'inIf' ? p.inIf : ix.dim === 'outIf' ? p.outIf : p.dport
    const l = ix.byKey.get(k)
    if (l) lists.push(l)
  }
  return mergeSorted(lists)
}

export {ALL}

export class TableView {
  private readonly rulesByChain = new Map<string, Rule[]>()
  private readonly decls = new Map<string, ChainDecl>()
  private readonly compiled = new Map<string, CompiledChain>()

  constructor(
    readonly namespace: NamespaceId,
    readonly family: Family,
    readonly table: Table,
    private readonly dockerBridges: ReadonlySet<string>,
    private readonly indexMinRules = INDEX_MIN_RULES,
  ) {
    for (const d of table.chains) this.decls.set(d.name, d)
    for (const r of table.rules) {
      let l = this.rulesByChain.get(r.chain)
      if (!l) this.rulesByChain.set(r.chain, (l = []))
      l.push(r)
    }
  }

  get name(): string {
    return this.table.name
  }

  has(chain: string): boolean {
    return this.decls.has(chain) || this.rulesByChain.has(chain)
  }

  chain(name: string): CompiledChain | undefined {
    let c = this.compiled.get(name)
    if (c) return c
    if (!this.has(name)) return undefined
    const decl = this.decls.get(name)
    const rules = (this.rulesByChain.get(name) ?? []).map((r, i) => compileRule(r, i + 1, this.family))
    c = {
      ref: {namespace: this.namespace, family: this.family, table: this.table.name, chain: name},
      policy: decl && decl.policy !== '-' ? decl.policy : null,
      rules,
      index: buildIndex(rules, this.family, this.indexMinRules),
    }
    this.compiled.set(name, c)
    return c
  }

  ruleRef(r: CompiledRule): RuleRef {
    const prefix = `${this.table.name} `
    const text = r.rule.key.startsWith(prefix) ? r.rule.key.slice(prefix.length) : r.rule.key
    return {
      namespace: this.namespace,
      family: this.family,
      table: this.table.name,
      chain: r.rule.chain,
      position: r.position,
      text,
      owner: ownerOf(r.rule, r.position, this.dockerBridges),
    }
  }
}
