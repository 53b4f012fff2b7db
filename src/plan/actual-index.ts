// Indexes the refreshed iptables state by what the planner asks of it: the lines
// each dockwall address owns, foreign lines inside owned chains, and the jumps.
import {mentionsNoOwnedChain} from '../refresh/unparsed.js'
import {FAMILIES, type Family} from '../model/types.js'
import {
  familyTables,
  type ActualModel,
  type ActualNamespace,
  type ActualRule,
  type ActualTable,
  type ActualTables,
} from '../refresh/types.js'
import {COMMENT_PREFIX, isOwnedChain, JUMP_COMMENT, jumpSources, type OwnedChain} from './firewall.js'
import {FIREWALL_TABLES, type FirewallTable, type NamespaceKey, type RuleLine} from '../model/resources.js'

export {isOwnedChain}

export interface IndexedLine extends RuleLine {
  /** Position inside its chain (0-based). */
  position: number
}

export interface JumpInfo {
  namespace: NamespaceKey
  family: Family
  table: FirewallTable
  /** Foreign chain holding the jump. */
  from: string
  to: OwnedChain
  /** 0-based position in `from`, and the exact spec (to delete it). */
  position: number
  spec: string
}

export interface ActualIndex {
  /** dockwall lines by address (from `dockwall:<address>` comments in owned chains). */
  byAddress: Map<string, IndexedLine[]>
  /** Lines in owned chains without a dockwall comment, or with one for an unknown address kind. */
  foreign: IndexedLine[]
  /** Owned chains present, as chainKey(namespace, family, table, chain) → chain content. */
  ownedChains: Map<string, IndexedLine[]>
  /** The same chains, by where they are (an empty chain has no line to say it). */
  ownedChainsByKey: Map<string, {namespace: NamespaceKey; family: Family; table: FirewallTable; chain: OwnedChain}>
  jumps: JumpInfo[]
  namespaces: Map<NamespaceKey, ActualNamespace>
}

export function chainKey(namespace: NamespaceKey, family: Family, table: string, chain: string): string {
  return `${namespace}|${family}|${table}|${chain}`
}

export function tableOf(ns: ActualNamespace, family: Family, table: FirewallTable): ActualTable | undefined {
  return familyTables(ns, family)?.[table]
}

function addressFromComment(rule: ActualRule): string | undefined {
  if (!rule.comment?.startsWith(COMMENT_PREFIX) || rule.comment === JUMP_COMMENT) return undefined
  return rule.comment.slice(COMMENT_PREFIX.length)
}

export function indexActual(actual: ActualModel): ActualIndex {
  const idx: ActualIndex = {
    byAddress: new Map(),
    foreign: [],
    ownedChains: new Map(),
    ownedChainsByKey: new Map(),
    jumps: [],
    namespaces: new Map(),
  }
  for (const ns of actual.namespaces) {
    idx.namespaces.set(ns.key, ns)
    for (const family of FAMILIES)
      for (const tableName of FIREWALL_TABLES) {
        const table = familyTables(ns, family)?.[tableName]
        if (!table) continue
        for (const chain of table.chains) {
          if (isOwnedChain(tableName, chain.name)) {
            const lines: IndexedLine[] = chain.rules.map((r, position) => ({
              namespace: ns.key,
              family,
              table: tableName,
              chain: chain.name,
              spec: r.spec,
              position,
            }))
            const key = chainKey(ns.key, family, tableName, chain.name)
            idx.ownedChains.set(key, lines)
            idx.ownedChainsByKey.set(key, {namespace: ns.key, family, table: tableName, chain: chain.name})
            chain.rules.forEach((r, i) => {
              const line = lines[i] as IndexedLine
              const address = addressFromComment(r)
              if (address === undefined) idx.foreign.push(line)
              else {
                const list = idx.byAddress.get(address) ?? []
                list.push(line)
                idx.byAddress.set(address, list)
              }
            })
          } else {
            // A chain whose text never mentions DOCKWALL- holds no jump to our chains; its rules stay unparsed (src/refresh/tables.ts).
            if (mentionsNoOwnedChain(chain)) continue
            chain.rules.forEach((r, position) => {
              if (r.target && isOwnedChain(tableName, r.target)) {
                idx.jumps.push({
                  namespace: ns.key,
                  family,
                  table: tableName,
                  from: chain.name,
                  to: r.target,
                  position,
                  spec: r.spec,
                })
              }
            })
          }
        }
      }
  }
  return idx
}

/** The foreign chain an owned chain should be jumped from in one family's tables (DOCKER-USER when Docker made one). */
export function jumpSource(tables: ActualTables | undefined, table: FirewallTable, chain: OwnedChain): string {
  const jumpFrom = jumpSources(table, chain)
  const names = new Set(tables?.[table]?.chains.map((c) => c.name) ?? [])
  return jumpFrom.find((c) => names.has(c)) ?? (jumpFrom[jumpFrom.length - 1] as string)
}
