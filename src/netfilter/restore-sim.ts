// What a ruleset becomes after `iptables-restore --noflush INPUT`, computed in memory:
// the lockout guard asks the evaluator about the host as the plan would leave it, before
// anything is written. The semantics are the ones verified on both backends (write.ts,
// test/e2e/netfilter-noflush.test.ts): a declared user chain is created or emptied, a
// declared built-in chain only takes the policy, `-D` of a missing rule and `-X` of a
// chain still used fail; each table is one transaction, so a table whose input fails
// stays exactly as it was (and the restore reports the error).
import {parseRule} from './parse.js'
import {tokenize} from './quote.js'
import {BUILTIN_CHAINS, type Family, type Rule, type Ruleset, type Table} from './types.js'

export interface SimulatedRestore {
  ruleset: Ruleset
  /** Tables whose input would fail (they are left as they were), with the reason. */
  failed: {table: string; error: string}[]
}

class RestoreLineError extends Error {}

function cloneTable(t: Table): Table {
  return {name: t.name, chains: t.chains.map((c) => ({...c})), rules: [...t.rules]}
}

function isBuiltin(table: string, chain: string): boolean {
  return (BUILTIN_CHAINS[table] ?? []).includes(chain)
}

/** A rule of `-A/-I/-D CHAIN [N] args` read as the `-A CHAIN args` a dump would hold. */
function ruleOf(table: string, chain: string, args: string, family: Family): Rule {
  return parseRule(`-A ${chain}${args ? ` ${args}` : ''}`, table, {family})
}

/** Splits `-X CHAIN rest` into the command, the chain and the rest of the line as written. */
function command(line: string): {cmd: string; chain: string | undefined; rest: string} {
  const m = /^(\S+)(?:\s+(\S+))?(?:\s+(.*))?$/.exec(line.trim())
  return {cmd: m?.[1] ?? '', chain: m?.[2], rest: m?.[3] ?? ''}
}

/** The positions in `t.rules` of one chain's rules, in order. */
function indexesOf(t: Table, chain: string): number[] {
  return t.rules.flatMap((r, i) => (r.chain === chain ? [i] : []))
}

/** `:NAME POLICY`: --noflush creates or empties a user chain; a built-in chain keeps its rules and takes the policy. */
function declareChain(t: Table, line: string): void {
  const [name, policy] = line.slice(1).trim().split(/\s+/)
  if (!name || !policy) throw new RestoreLineError(`${line}: bad chain line`)
  if (isBuiltin(t.name, name)) {
    const decl = t.chains.find((c) => c.name === name)
    // A policy of `-` leaves the built-in chain's policy as it is.
    if (policy !== '-') {
      if (decl) decl.policy = policy
      else t.chains.push({name, policy})
    }
    return
  }
  if (t.chains.some((c) => c.name === name)) t.rules = t.rules.filter((r) => r.chain !== name)
  else t.chains.push({name, policy: '-'})
}

/** `-I CHAIN [N] args`: N counts from 1 and may be one past the chain's last rule. */
function insertRule(t: Table, line: string, chain: string, rest: string, family: Family): void {
  const m = /^(\d+)(?:\s+(.*))?$/.exec(rest)
  const position = m ? Number(m[1]) : 1
  const args = m ? (m[2] ?? '') : rest
  const at = indexesOf(t, chain)
  if (position < 1 || position > at.length + 1) throw new RestoreLineError(`${line}: index of insertion too big`)
  const rule = ruleOf(t.name, chain, args, family)
  const where = position <= at.length ? at[position - 1]! : at.length > 0 ? at[at.length - 1]! + 1 : t.rules.length
  t.rules.splice(where, 0, rule)
}

/** `-D CHAIN N` or `-D CHAIN args`: the rule must exist. */
function deleteRule(t: Table, line: string, chain: string, rest: string, family: Family): void {
  const at = indexesOf(t, chain)
  let i: number | undefined
  if (/^\d+$/.test(rest)) i = at[Number(rest) - 1]
  else {
    const key = ruleOf(t.name, chain, rest, family).key
    i = at.find((j) => t.rules[j]!.key === key)
  }
  if (i === undefined) throw new RestoreLineError(`${line}: no such rule`)
  t.rules.splice(i, 1)
}

function applyLine(t: Table, line: string, family: Family): void {
  if (line.startsWith(':')) return declareChain(t, line)
  const has = (chain: string): boolean => isBuiltin(t.name, chain) || t.chains.some((c) => c.name === chain)
  const need = (chain: string | undefined): string => {
    if (!chain) throw new RestoreLineError(`${line}: no chain`)
    if (!has(chain)) throw new RestoreLineError(`${line}: chain ${chain} does not exist`)
    return chain
  }
  const {cmd, chain, rest} = command(line)
  switch (cmd) {
    case '-A':
    case '--append': {
      const c = need(chain)
      const rule = ruleOf(t.name, c, rest, family)
      const at = indexesOf(t, c)
      t.rules.splice(at.length > 0 ? at[at.length - 1]! + 1 : t.rules.length, 0, rule)
      return
    }
    case '-I':
    case '--insert':
      return insertRule(t, line, need(chain), rest, family)
    case '-D':
    case '--delete':
      return deleteRule(t, line, need(chain), rest, family)
    case '-F':
    case '--flush':
      if (chain === undefined) t.rules = []
      else t.rules = t.rules.filter((r) => r.chain !== need(chain))
      return
    case '-N':
    case '--new-chain':
      if (!chain) throw new RestoreLineError(`${line}: no chain`)
      if (has(chain)) throw new RestoreLineError(`${line}: chain already exists`)
      t.chains.push({name: chain, policy: '-'})
      return
    case '-X':
    case '--delete-chain': {
      const c = need(chain)
      if (isBuiltin(t.name, c)) throw new RestoreLineError(`${line}: cannot delete a built-in chain`)
      if (t.rules.some((r) => r.chain === c)) throw new RestoreLineError(`${line}: chain is not empty`)
      if (t.rules.some((r) => r.target?.name === c)) throw new RestoreLineError(`${line}: chain is still referenced`)
      t.chains = t.chains.filter((x) => x.name !== c)
      return
    }
    case '-P':
    case '--policy': {
      const c = need(chain)
      if (!isBuiltin(t.name, c)) throw new RestoreLineError(`${line}: only built-in chains have a policy`)
      const policy = tokenize(rest)[0]?.value
      if (!policy) throw new RestoreLineError(`${line}: no policy`)
      const decl = t.chains.find((x) => x.name === c)
      if (decl) decl.policy = policy
      else t.chains.push({name: c, policy})
      return
    }
    default:
      throw new RestoreLineError(`${line}: not a restore command this simulation knows`)
  }
}

/**
 * Applies restore input (one or more `*table ... COMMIT` sections) to `ruleset` as
 * `iptables-restore --noflush` would, returning a new ruleset (the input is not changed).
 */
export function simulateRestore(ruleset: Ruleset, input: string, family: Family): SimulatedRestore {
  const tables = new Map(ruleset.tables.map((t) => [t.name, t]))
  const failed: SimulatedRestore['failed'] = []
  let current: {table: Table; error?: string} | undefined
  for (const raw of input.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    if (line.startsWith('*')) {
      const name = line.slice(1).trim()
      const existing = tables.get(name)
      current = {table: existing ? cloneTable(existing) : {name, chains: [], rules: []}}
      continue
    }
    if (!current) {
      failed.push({table: '', error: `${line}: outside a table`})
      continue
    }
    if (line === 'COMMIT') {
      if (current.error === undefined) tables.set(current.table.name, current.table)
      else failed.push({table: current.table.name, error: current.error})
      current = undefined
      continue
    }
    if (current.error !== undefined) continue
    try {
      applyLine(current.table, line, family)
    } catch (error) {
      // A line iptables-restore would reject (RestoreLineError, or a rule that does not parse) fails its table.
      if (!(error instanceof Error)) throw error
      current.error = error.message
    }
  }
  if (current) failed.push({table: current.table.name, error: 'no COMMIT'})
  // Tables keep the order they had; new ones come last.
  const order = [
    ...ruleset.tables.map((t) => t.name),
    ...[...tables.keys()].filter((n) => !ruleset.tables.some((t) => t.name === n)),
  ]
  return {ruleset: {tables: order.map((n) => tables.get(n)!)}, failed}
}
