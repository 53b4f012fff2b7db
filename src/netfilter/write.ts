// Ruleset → iptables-restore input, and one rule → `-A CHAIN ...`, printed the way
// iptables-save prints (header options, then each match, then the target; string
// values quoted by xtables_save_string rules).
import {ALWAYS_QUOTED_OPTIONS, isKnownExtension, SAVE_STRING_OPTIONS} from './extensions.js'
import {validateChainName, validateComment, validateInterfaceName, validateTableName} from './names.js'
import {quoteArg, restoreWord} from './quote.js'
import type {Counters, ExtOption, Match, Rule, Ruleset, Table, Target} from './types.js'

export interface WriteOptions {
  /** Print `[p:b]` counters where the model has them (rules and chain lines). Default true. */
  counters?: boolean
}

export function formatCounters(c: Counters): string {
  return `[${c.packets}:${c.bytes}]`
}

function writeValue(option: string, value: string): string {
  if (SAVE_STRING_OPTIONS.has(option)) return quoteArg(value)
  if (ALWAYS_QUOTED_OPTIONS.has(option)) return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`
  return restoreWord(value)
}

function writeOption(o: ExtOption): string {
  let out = o.negated ? `! --${o.name}` : `--${o.name}`
  for (const v of o.values) out += ` ${writeValue(o.name, v)}`
  return out
}

function writeMatch(m: Match): string {
  if (m.kind === 'header') {
    const flag = m.negated ? `! -${m.option}` : `-${m.option}`
    return m.value === null ? flag : `${flag} ${restoreWord(m.value)}`
  }
  let out = m.implicit ? '' : `-m ${restoreWord(m.name)}`
  for (const o of m.options) out += out ? ` ${writeOption(o)}` : writeOption(o)
  return out
}

function writeTarget(t: Target): string {
  let out = `${t.kind === 'goto' ? '-g' : '-j'} ${restoreWord(t.name)}`
  for (const o of t.options) out += ` ${writeOption(o)}`
  return out
}

/** The rule's arguments after `-A CHAIN`: `-s 10.0.0.1/32 -p tcp -m tcp --dport 80 -j ACCEPT`. */
export function writeRuleArgs(rule: Pick<Rule, 'matches' | 'target'>): string {
  let out = ''
  for (const m of rule.matches) {
    const w = writeMatch(m)
    if (w) out += out ? ` ${w}` : w
  }
  if (rule.target) out += out ? ` ${writeTarget(rule.target)}` : writeTarget(rule.target)
  return out
}

/** `[p:b] -A CHAIN args` as iptables-save prints it (counters only when present and wanted). */
export function writeRule(
  rule: Pick<Rule, 'chain' | 'matches' | 'target' | 'counters'>,
  opts: WriteOptions = {},
): string {
  const args = writeRuleArgs(rule)
  const prefix = opts.counters !== false && rule.counters ? `${formatCounters(rule.counters)} ` : ''
  return `${prefix}-A ${rule.chain}${args ? ` ${args}` : ''}`
}

/** One table as restore input: `*name`, chain lines, rules, `COMMIT`. */
export function writeTable(table: Table, opts: WriteOptions = {}): string {
  const lines = [`*${table.name}`]
  for (const c of table.chains) {
    const counters = opts.counters !== false && c.counters ? c.counters : {packets: 0n, bytes: 0n}
    lines.push(`:${c.name} ${c.policy} ${formatCounters(counters)}`)
  }
  for (const r of table.rules) lines.push(writeRule(r, opts))
  lines.push('COMMIT')
  return `${lines.join('\n')}\n`
}

/**
 * The whole ruleset as iptables-restore input. Always ends with a newline: the legacy
 * iptables-restore 1.8.9 rejects a final `COMMIT` without one ("Bad argument `COMMIT'").
 */
export function writeRuleset(ruleset: Ruleset, opts: WriteOptions = {}): string {
  return ruleset.tables.map((t) => writeTable(t, opts)).join('')
}

// ------------------------------------------------------------------ restore operations

type RuleSpec = Pick<Rule, 'matches' | 'target'>

/**
 * One line of `iptables-restore --noflush` input, as the apply engine writes them.
 * Verified on both backends (test/e2e/netfilter-noflush.test.ts):
 * - `declare` (`:CHAIN - [0:0]`) creates a user chain or empties an existing one; with
 *   the rules appended after it, the chain's content is replaced in one transaction.
 *   On a built-in chain it only sets the policy (`-` keeps it) and keeps its rules.
 * - `insert` at position 1 (`-I DOCKER-USER 1 ...`) leaves the chain's other rules alone;
 *   inserting a jump that is already there adds a second one.
 * - `delete` (`-D CHAIN rule`) fails the whole table when no such rule exists.
 * - `deleteChain` (`-X`) fails unless the chain is empty and nothing jumps to it: delete
 *   the jumps first, then declare (empty) the chain, then delete it.
 */
export type RestoreOp =
  | {op: 'declare'; chain: string; policy?: string}
  | {op: 'append'; chain: string; rule: RuleSpec}
  | {op: 'insert'; chain: string; position?: number; rule: RuleSpec}
  | {op: 'delete'; chain: string; rule: RuleSpec}
  | {op: 'deleteChain'; chain: string}

/** Interface names, comments and jump targets of a rule dockwall writes must be ones iptables keeps as given. */
function validateRuleSpec(rule: RuleSpec): void {
  for (const m of rule.matches) {
    if (m.kind === 'header' && (m.option === 'i' || m.option === 'o') && m.value !== null)
      validateInterfaceName(m.value)
    if (m.kind === 'module' && m.name === 'comment')
      for (const o of m.options) o.values.forEach((v) => validateComment(v))
  }
  // a jump to a chain (not a target extension such as ACCEPT or DNAT) names a chain
  if (rule.target && !isKnownExtension('target', rule.target.name)) validateChainName(rule.target.name)
}

function opLine(o: RestoreOp): string {
  if ('rule' in o) validateRuleSpec(o.rule)
  switch (o.op) {
    case 'declare':
      return `:${validateChainName(o.chain)} ${o.policy ?? '-'} [0:0]`
    case 'append':
    case 'delete': {
      const args = writeRuleArgs(o.rule)
      return `${o.op === 'append' ? '-A' : '-D'} ${validateChainName(o.chain)}${args ? ` ${args}` : ''}`
    }
    case 'insert': {
      const args = writeRuleArgs(o.rule)
      if (o.position !== undefined && (!Number.isInteger(o.position) || o.position < 1))
        throw new Error(`bad rule position ${o.position}`)
      return `-I ${validateChainName(o.chain)}${o.position === undefined ? '' : ` ${o.position}`}${args ? ` ${args}` : ''}`
    }
    case 'deleteChain':
      return `-X ${validateChainName(o.chain)}`
  }
}

/** One table's restore input from operations: `*table`, the lines, `COMMIT`. */
export function writeRestoreTable(table: string, ops: readonly RestoreOp[]): string {
  return `*${validateTableName(table)}\n${ops.map((o) => `${opLine(o)}\n`).join('')}COMMIT\n`
}
