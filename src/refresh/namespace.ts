// Reads one network namespace's iptables state: chooses the backend (auto:
// Docker's chains decide, else the one holding more rules) from the same saves
// that are then parsed, so a refresh costs about one iptables-save per backend
// present, not a probe plus a save.
import type {Backend, BackendSetting} from '../model/types.js'
import {decideBackend, keepTables, legacyTableNames, parseRuleset, summarizeSave, type BackendEvidence, type Ruleset} from '../netfilter/index.js'
import {run, type NetnsTarget} from '../util/exec.js'
import type {ActualChain, ActualNamespace, ActualTable} from './types.js'
import type {NamespaceKey} from '../plan/types.js'

const TABLES = ['filter', 'nat'] as const

export interface NamespaceRead {
  backend: Backend
  reason: string
  warning?: string
  tables: ActualNamespace['tables']
}

async function save(cmd: string, target: NetnsTarget): Promise<string | undefined> {
  try {
    // stdout only: iptables-nft warns about legacy tables on stderr.
    return (await run(cmd, [], {netns: target})).stdout
  } catch {
    return undefined
  }
}

let systemDefault: Promise<Backend | undefined> | undefined
function systemBackend(): Promise<Backend | undefined> {
  systemDefault ??= run('iptables', ['-V'])
    .then((r): Backend | undefined => (/\(nf_tables\)/.test(r.stdout) ? 'nft' : /\(legacy\)/.test(r.stdout) ? 'legacy' : undefined))
    .catch(() => undefined)
  return systemDefault
}

/** Turns a parsed ruleset into the planner's shape: filter and nat, chains in order, rules with their normal-form spec. */
export function toActualTables(ruleset: Ruleset): ActualNamespace['tables'] {
  const out: ActualNamespace['tables'] = {}
  for (const name of TABLES) {
    const table = ruleset.tables.find((t) => t.name === name)
    if (!table) continue
    const chains = new Map<string, ActualChain>()
    for (const decl of table.chains) chains.set(decl.name, {name: decl.name, policy: decl.policy === '-' ? null : decl.policy, rules: []})
    for (const rule of table.rules) {
      const chain = chains.get(rule.chain) ?? {name: rule.chain, policy: null, rules: []}
      chains.set(rule.chain, chain)
      const prefix = `${name} -A ${rule.chain} `
      const spec = rule.key.startsWith(prefix) ? rule.key.slice(prefix.length) : rule.key
      chain.rules.push({spec, ...(rule.comment !== undefined ? {comment: rule.comment} : {}), ...(rule.target ? {target: rule.target.name} : {})})
    }
    const t: ActualTable = {name, chains: [...chains.values()]}
    out[name] = t
  }
  return out
}

export async function readNamespace(target: NetnsTarget, setting: BackendSetting): Promise<NamespaceRead> {
  const [nftText, legacyTables, sys] = await Promise.all([
    save('iptables-nft-save', target),
    legacyTableNames({netns: target}),
    systemBackend(),
  ])
  // Reading legacy only when the namespace has legacy tables keeps the probe from creating them.
  const legacyText = legacyTables.length > 0 ? await save('iptables-legacy-save', target) : ''
  const evidence: BackendEvidence = {
    nft: {available: nftText !== undefined, ...summarizeSave(nftText ?? '')},
    legacy: {available: legacyText !== undefined, ...summarizeSave(legacyText ?? '')},
    ...(sys ? {systemDefault: sys} : {}),
  }
  const auto = decideBackend(evidence)
  let backend = auto.backend
  let reason = auto.reason
  let warning: string | undefined
  if (setting !== 'auto') {
    backend = setting
    reason = `${setting}: set in the configuration (backend = "${setting}")`
    if (auto.backend !== setting && (evidence[auto.backend].dockerChains.length > 0 || evidence[auto.backend].rules > evidence[setting].rules)) {
      warning = `backend = "${setting}" is set, but ${auto.reason.replace(/^\w+: /, '')}; rules of the two backends are evaluated separately`
    }
  }
  const text = backend === 'nft' ? nftText : legacyText
  if (text === undefined) throw new Error(`iptables-${backend}-save failed in this namespace`)
  const ruleset = parseRuleset(keepTables(text, TABLES))
  const read: NamespaceRead = {backend, reason, tables: toActualTables(ruleset)}
  if (warning) read.warning = warning
  return read
}

export function namespaceLabel(key: NamespaceKey): string {
  return key === 'host' ? 'the host' : `container ${key.slice('container.'.length)}`
}
