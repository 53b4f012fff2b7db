// iptables-save output → the actual model's tables (filter and nat, chains in order,
// rules with their normal-form spec).
//
// Parsing a rule costs about 10 µs, and a host may hold tens of thousands of rules in
// chains dockwall never looks at (measured with `npm run bench`: 20,000 rules took
// 0.2-0.5 s to parse, several times the iptables-save itself). So readTables parses a
// chain's rules up front only when its text mentions `DOCKWALL-`: dockwall's own
// chains, and the chains holding jumps to them. The rules of every other chain are
// parsed on first access to `chain.rules`, giving exactly what an eager parse gives;
// the planner never reads them (see mentionsNoOwnedChain), show and import do.
import {detectFamily, parseRule, parseRuleset} from '../netfilter/parse.js'
import type {Family, Rule, Ruleset} from '../netfilter/types.js'
import type {ActualChain, ActualRule, ActualTable, ActualTables} from './types.js'
import {markUnparsed} from './unparsed.js'
import {FIREWALL_TABLES} from '../model/resources.js'

const TABLES = FIREWALL_TABLES

/** dockwall's chain names all start with this (DOCKWALL-FORWARD, DOCKWALL-PREROUTING...). */
const OWNED_PREFIX = 'DOCKWALL-'

export {mentionsNoOwnedChain, unparsedRuleLines} from './unparsed.js'

function actualRule(rule: Rule, table: string): ActualRule {
  const prefix = `${table} -A ${rule.chain} `
  const spec = rule.key.startsWith(prefix) ? rule.key.slice(prefix.length) : rule.key
  return {
    spec,
    ...(rule.comment !== undefined ? {comment: rule.comment} : {}),
    ...(rule.target ? {target: rule.target.name} : {}),
  }
}

/** `-m comment --comment "..."` as iptables-save writes a comment with characters to quote (`dockwall:` has one). */
const QUOTED_COMMENT = / -m comment --comment "([^"\\]*)"(?= |$)/
const JUMP = / -j (\S+)(?= |$)/

function count(text: string, part: string): number {
  let n = 0
  for (let at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length)) n++
  return n
}

/**
 * A line of one of dockwall's chains, without the parser, when it has the plain shape
 * iptables-save gives the lines dockwall writes: one quoted comment (no escapes, no other
 * quotes) and one `-j` target. Its spec is the saved text, which for such a line is the
 * parser's normal form (checked on every line of the fixtures' dumps); the planner compares
 * differing texts in normal form in any case. Parsing them cost 0.45 s of a 20,000-rule plan.
 * Undefined for any other shape: the parser reads it.
 */
function savedOwnedRule(line: string, chain: string): ActualRule | undefined {
  const prefix = `-A ${chain} `
  if (!line.startsWith(prefix) || line.includes('\\') || line.includes("'") || line.trimEnd() !== line) return undefined
  const comment = QUOTED_COMMENT.exec(line)
  const jump = JUMP.exec(line)
  if (!comment || !jump || count(line, '"') !== 2 || count(line, ' --comment ') !== 1) return undefined
  if (count(line, ' -j ') !== 1 || line.includes(' -g ') || line.includes(' --goto ') || line.includes(' --jump '))
    return undefined
  return {spec: line.slice(prefix.length), comment: comment[1]!, target: jump[1]!}
}

/** Turns a parsed ruleset into the planner's shape: filter and nat, chains in order, rules with their normal-form spec. */
export function toActualTables(ruleset: Ruleset): ActualTables {
  const out: ActualTables = {}
  for (const name of TABLES) {
    const table = ruleset.tables.find((t) => t.name === name)
    if (!table) continue
    const chains = new Map<string, ActualChain>()
    for (const decl of table.chains)
      chains.set(decl.name, {name: decl.name, policy: decl.policy === '-' ? null : decl.policy, rules: []})
    for (const rule of table.rules) {
      const chain = chains.get(rule.chain) ?? {name: rule.chain, policy: null, rules: []}
      chains.set(rule.chain, chain)
      chain.rules.push(actualRule(rule, name))
    }
    const t: ActualTable = {name, chains: [...chains.values()]}
    out[name] = t
  }
  return out
}

interface PendingChain {
  lines: string[]
  lineNos: number[]
  mentionsOwned: boolean
}

/** Makes `chain.rules` parse `pending` on first access (then a plain property, as if parsed eagerly). */
function parseOnAccess(chain: ActualChain, table: string, pending: PendingChain, family: Family): void {
  const settle = (rules: ActualRule[]): void => {
    Object.defineProperty(chain, 'rules', {value: rules, writable: true, enumerable: true, configurable: true})
  }
  Object.defineProperty(chain, 'rules', {
    enumerable: true,
    configurable: true,
    get(): ActualRule[] {
      const rules = pending.lines.map((line, i) =>
        actualRule(parseRule(line, table, {family}, pending.lineNos[i]), table),
      )
      settle(rules)
      return rules
    },
    set(rules: ActualRule[]) {
      settle(rules)
    },
  })
  markUnparsed(chain, pending.lines)
}

/**
 * The filter and nat tables of iptables-save output, as toActualTables(parseRuleset(text))
 * gives them, with the rules of chains that do not mention `DOCKWALL-` parsed only when read.
 * Structure errors (a table without COMMIT, bad chain lines) and iptables-nft's
 * "incompatible table" notes throw here, as parseRuleset does; a malformed rule throws
 * here when its chain is parsed up front, else when that chain's rules are read.
 */
export function readTables(text: string, given?: Family): ActualTables {
  // After keepTables the `# Generated by ip6tables-save` header is gone: ip6tables callers say so.
  const family = given ?? detectFamily(text)
  const pending = new Map<string, PendingChain>()
  /** `table chain` in order of first rule, for chains with rules but no `:CHAIN` line. */
  const order: string[] = []
  // iptables-save prints each chain's rules together: remember the last chain instead of looking it up per line.
  let lastTable = ''
  let lastChain = ''
  let last: PendingChain | undefined
  // Every rule line is handed to `skipped` (a line that is not `-A CHAIN ...` still fails there).
  const ruleset = parseRuleset(text, {
    family,
    chains: () => false,
    skipped: (table, chain, line, lineNo) => {
      let p = last !== undefined && chain === lastChain && table === lastTable ? last : undefined
      if (!p) {
        const key = `${table} ${chain}`
        p = pending.get(key)
        if (!p) {
          p = {lines: [], lineNos: [], mentionsOwned: false}
          pending.set(key, p)
          order.push(key)
        }
        last = p
        lastTable = table
        lastChain = chain
      }
      p.lines.push(line)
      p.lineNos.push(lineNo)
      if (!p.mentionsOwned && line.includes(OWNED_PREFIX)) p.mentionsOwned = true
    },
  })
  const out: ActualTables = {}
  for (const name of TABLES) {
    const table = ruleset.tables.find((t) => t.name === name)
    if (!table) continue
    const chains = new Map<string, ActualChain>()
    for (const decl of table.chains)
      chains.set(decl.name, {name: decl.name, policy: decl.policy === '-' ? null : decl.policy, rules: []})
    for (const key of order) {
      if (!key.startsWith(`${name} `)) continue
      const chainName = key.slice(name.length + 1)
      const p = pending.get(key)!
      const chain = chains.get(chainName) ?? {name: chainName, policy: null, rules: []}
      chains.set(chainName, chain)
      if (chainName.startsWith(OWNED_PREFIX))
        chain.rules = p.lines.map(
          (line, i) =>
            savedOwnedRule(line, chainName) ?? actualRule(parseRule(line, name, {family}, p.lineNos[i]), name),
        )
      else if (p.mentionsOwned)
        chain.rules = p.lines.map((line, i) => actualRule(parseRule(line, name, {family}, p.lineNos[i]), name))
      else parseOnAccess(chain, name, p, family)
    }
    out[name] = {name, chains: [...chains.values()]}
  }
  return out
}
