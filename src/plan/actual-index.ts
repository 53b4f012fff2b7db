// Indexes the refreshed iptables state by what the planner asks of it: the lines
// each dockwall address owns, foreign lines inside owned chains, and the jumps.
import {mentionsNoOwnedChain} from '../refresh/unparsed.js'
import type {ActualModel, ActualNamespace, ActualRule, ActualTable} from '../refresh/types.js'
import {COMMENT_PREFIX, isOwnedChain, JUMP_COMMENT, jumpSources, type OwnedChain} from './firewall.js'
import {FIREWALL_TABLES, type FirewallTable, type NamespaceKey, type RuleLine} from '../model/resources.js'

export {isOwnedChain}

export interface IndexedLine extends RuleLine {
  /** Position inside its chain (0-based). */
  position: number
}

export interface JumpInfo {
  namespace: NamespaceKey
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
  /** Owned chains present, as `${namespace}|${table}|${chain}` → chain content. */
  ownedChains: Map<string, IndexedLine[]>
  jumps: JumpInfo[]
  namespaces: Map<NamespaceKey, ActualNamespace>
}

export function chainKey(namespace: NamespaceKey, table: string, chain: string): string {
  return `${namespace}|${table}|${chain}`
}

export function tableOf(ns: ActualNamespace, table: FirewallTable): ActualTable | undefined {
  return ns.tables[table]
}

function addressFromComment(rule: ActualRule): string | undefined {
  if (!rule.comment?.startsWith(COMMENT_PREFIX) || rule.comment === JUMP_COMMENT) return undefined
  return rule.comment.slice(COMMENT_PREFIX.length)
}

export function indexActual(actual: ActualModel): ActualIndex {
  const idx: ActualIndex = {byAddress: new Map(), foreign: [], ownedChains: new Map(), jumps: [], namespaces: new Map()}
  for (const ns of actual.namespaces) {
    idx.namespaces.set(ns.key, ns)
    for (const tableName of FIREWALL_TABLES) {
      const table = ns.tables[tableName]
      if (!table) continue
      for (const chain of table.chains) {
        if (isOwnedChain(tableName, chain.name)) {
          const lines: IndexedLine[] = chain.rules.map((r, position) => ({
            namespace: ns.key,
            table: tableName,
            chain: chain.name,
            spec: r.spec,
            position,
          }))
          idx.ownedChains.set(chainKey(ns.key, tableName, chain.name), lines)
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

/** The foreign chain an owned chain should be jumped from in this namespace (DOCKER-USER when Docker made one). */
export function jumpSource(ns: ActualNamespace | undefined, table: FirewallTable, chain: OwnedChain): string {
  const jumpFrom = jumpSources(table, chain)
  const names = new Set(ns?.tables[table]?.chains.map((c) => c.name) ?? [])
  return jumpFrom.find((c) => names.has(c)) ?? (jumpFrom[jumpFrom.length - 1] as string)
}
