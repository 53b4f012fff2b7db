// Which chains readTables (tables.ts) left unparsed. A module of its own, without
// imports, so the UI can ask without loading the iptables parser.
import type {ActualChain} from './types.js'

/** Chains whose rules were left unparsed by readTables, with their iptables-save lines. */
const unparsed = new WeakMap<ActualChain, readonly string[]>()

export function markUnparsed(chain: ActualChain, lines: readonly string[]): void {
  unparsed.set(chain, lines)
}

/**
 * The iptables-save lines of a chain that readTables did not parse up front, or
 * undefined for a chain it parsed. Such a chain's text never mentions `DOCKWALL-`: it is
 * not dockwall's and none of its rules jumps to one of dockwall's chains. The lines
 * (not the parsed rules) identify its content for hashing.
 */
export function unparsedRuleLines(chain: ActualChain): readonly string[] | undefined {
  return unparsed.get(chain)
}

/** True when readTables found, without parsing the chain, that none of its rules is dockwall's or jumps to dockwall's chains. */
export function mentionsNoOwnedChain(chain: ActualChain): boolean {
  return unparsed.has(chain)
}
