// A table's chains, compiled on first visit, with an index that lets a packet skip the
// rules that cannot match it. A chain of 20,000 `-s 10.x.y.z/32 ... -j ACCEPT` lines is
// not scanned per packet: each rule is filed under one key it requires (source or
// destination prefix, input or output interface, destination port; the keys most rules
// have come first), and a packet visits the rules filed under its own keys plus those
// with no key, in chain order. A rule can only match a packet whose value for the key it
// is filed under equals that key, so nothing that could match is skipped. The protocol
// (`-p tcp`, `-p udp`) is a key too: most rules state one, and a chain's rules for the
// other protocol are then never parsed for a packet.
import {isLazyTable, type ChainDecl, type LazyTable, type Rule, type Table} from '../netfilter/types.js'
import {maskOf} from './addr.js'
import {compileRule, lineIndexKeys, V4_MASKS, type CompiledRule, type IndexKeys} from './compile.js'
import {ownerOf} from './owner.js'
import type {Pkt} from './packet.js'
import type {ChainRef, Family, NamespaceId, RuleRef} from './types.js'

/** Chains shorter than this are scanned: building an index costs more than it saves. */
export const INDEX_MIN_RULES = 32

type Dimension = 'src' | 'dst' | 'inIf' | 'outIf' | 'dport' | 'proto'

interface ChainIndex {
  /** Rules with no key: candidates for every packet. */
  rest: number[]
  /** src/dst: prefix length → masked address (a number for IPv4) → rules. */
  byPrefix: Partial<Record<'src' | 'dst', Map<number, Map<number | bigint, number[]>>>>
  /** inIf/outIf/dport/proto: key → rules. */
  byKey: Partial<Record<'inIf' | 'outIf' | 'dport' | 'proto', Map<string | number, number[]>>>
}

export interface CompiledChain {
  ref: ChainRef
  /** ACCEPT, DROP... for built-in chains; null for user chains. */
  policy: string | null
  /** How many rules the chain has. */
  size: number
  /** The i-th (0-based) rule, compiled (and, from a lazily parsed dump, parsed) when first reached. */
  rule(i: number): CompiledRule
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

/** The index of a chain whose rules have these keys (in order); null when it would not pay. */
function buildIndex(keys: readonly IndexKeys[], minRules: number): ChainIndex | null {
  if (keys.length < minRules) return null
  const all: Dimension[] = ['src', 'dst', 'inIf', 'outIf', 'dport', 'proto']
  const count = (d: Dimension): number => keys.reduce((n, k) => n + (k[d] !== undefined ? 1 : 0), 0)
  const counts = new Map(all.map((d) => [d, count(d)]))
  // The keys most rules have first: a rule is filed under the first of these it has.
  const dims = all.filter((d) => counts.get(d)! > 0).sort((a, b) => counts.get(b)! - counts.get(a)!)
  const index: ChainIndex = {rest: [], byPrefix: {}, byKey: {}}
  let keyed = 0
  keys.forEach((k, i) => {
    const dim = dims.find((d) => k[d] !== undefined)
    if (!dim) {
      index.rest.push(i)
      return
    }
    keyed++
    if (dim === 'src' || dim === 'dst') {
      const c = k[dim]!
      const byPrefix = (index.byPrefix[dim] ??= new Map())
      let m = byPrefix.get(c.prefix)
      if (!m) byPrefix.set(c.prefix, (m = new Map()))
      let l = m.get(c.value)
      if (!l) m.set(c.value, (l = []))
      l.push(i)
    } else {
      const byKey = (index.byKey[dim] ??= new Map())
      const key = k[dim]!
      let l = byKey.get(key)
      if (!l) byKey.set(key, (l = []))
      l.push(i)
    }
  })
  // Worth it only when the keys split off a good part of the chain.
  return keyed * 4 < keys.length ? null : index
}

const ALL = Symbol('all rules')

/** The rules (0-based) a packet may match, in order; ALL when the chain has no index. */
export function candidates(chain: CompiledChain, p: Pkt): number[] | typeof ALL {
  const ix = chain.index
  if (!ix) return ALL
  const lists: number[][] = [ix.rest]
  for (const dim of ['src', 'dst'] as const) {
    const byPrefix = ix.byPrefix[dim]
    if (!byPrefix) continue
    const v = dim === 'src' ? p.src : p.dst
    if (p.family === 'ipv4') {
      const n = Number(v)
      for (const [len, m] of byPrefix) {
        const l = m.get((n & V4_MASKS[len]!) >>> 0)
        if (l) lists.push(l)
      }
    } else {
      for (const [len, m] of byPrefix) {
        const l = m.get(v & maskOf(len, 128))
        if (l) lists.push(l)
      }
    }
  }
  for (const dim of ['inIf', 'outIf', 'dport', 'proto'] as const) {
    const l = ix.byKey[dim]?.get(p[dim])
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
    // A lazily parsed table gives a chain's rules when it is first visited; the others are grouped now.
    if (isLazyTable(table)) this.lazy = table
    else
      for (const r of table.rules) {
        let l = this.rulesByChain.get(r.chain)
        if (!l) this.rulesByChain.set(r.chain, (l = []))
        l.push(r)
      }
  }

  private readonly lazy: LazyTable | undefined

  get name(): string {
    return this.table.name
  }

  has(chain: string): boolean {
    return this.decls.has(chain) || (this.lazy ? this.lazy.hasRules(chain) : this.rulesByChain.has(chain))
  }

  chain(name: string): CompiledChain | undefined {
    let c = this.compiled.get(name)
    if (c) return c
    if (!this.has(name)) return undefined
    const decl = this.decls.get(name)
    const ref = {namespace: this.namespace, family: this.family, table: this.table.name, chain: name}
    const policy = decl && decl.policy !== '-' ? decl.policy : null
    const lazy = this.lazy
    if (lazy) {
      // From a lazily parsed dump: the index from each line's plain keys, a rule parsed when a packet reaches it.
      const lines = lazy.ruleLines(name)
      const rules: Array<CompiledRule | undefined> = []
      const family = this.family
      c = {
        ref,
        policy,
        size: lines.length,
        rule: (i) => (rules[i] ??= compileRule(lazy.chainRule(name, i), i + 1, family)),
        index:
          lines.length < this.indexMinRules
            ? null
            : buildIndex(
                lines.map((l) => lineIndexKeys(l, family)),
                this.indexMinRules,
              ),
      }
    } else {
      const rules = (this.rulesByChain.get(name) ?? []).map((r, i) => compileRule(r, i + 1, this.family))
      c = {
        ref,
        policy,
        size: rules.length,
        rule: (i) => rules[i]!,
        index: buildIndex(
          rules.map((r) => r.keys),
          this.indexMinRules,
        ),
      }
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
