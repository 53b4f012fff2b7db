// Import IDs: how `dockwall import ADDRESS ID` and `import { to, id }` name an existing
// object. The address says what kind of object it is, so each kind has its own
// grammar and no ID has to say what it is:
//
//   network       NAME-OR-ID                              frontend, 3f2a9c1d0b7e
//   attachment    CONTAINER/NETWORK                       smarthost_loadbalancer/frontend
//   rule, port_forward, masquerade:
//                 [container.LABEL/][FAMILY:][TABLE:]CHAIN:SELECTOR
//                 SELECTOR  = RULE-TEXT | #POSITION
//                 FAMILY    = ipv4 | ipv6 (ip6tables); a RULE-TEXT with IPv6 addresses implies ipv6
//                 DOCKER-USER:-s 10.0.0.0/8 -d 172.18.0.2/32 -p tcp -m tcp --dport 80 -j ACCEPT
//                 DOCKER-USER:-s 2001:db8::/32 -d fd00::2/128 -p tcp -m tcp --dport 80 -j ACCEPT
//                 nat:OUTPUT:#2      container.lb/PREROUTING:#1      ipv6:INPUT:#3
//
// RULE-TEXT is the rule's arguments after `-A CHAIN`, compared in iptables-save's normal
// form (so `-p tcp --dport 80 -s 10.0.0.1` finds `-s 10.0.0.1/32 -p tcp -m tcp --dport 80`).
// POSITION counts from 1, like `iptables -L --line-numbers`. The table is implied by
// the chain (filter: FORWARD, DOCKER-USER, INPUT, OUTPUT; nat: PREROUTING, POSTROUTING);
// other chains, and nat's OUTPUT and INPUT, need the `filter:` or `nat:` prefix. Docker
// names cannot hold `/` or `:`, and block labels cannot hold either, so the parts split
// unambiguously; a rule text may hold `:` (`--to-destination 10.0.0.2:80`), which is
// why the selector comes last.
import {detectFamily, normalizeRuleSpec} from '../netfilter/index.js'
import type {NamespaceKey} from '../model/resources.js'
import type {Family} from '../model/types.js'
import {familyTables, type ActualNamespace} from '../refresh/types.js'

export type ImportKind = 'network' | 'attachment' | 'rule' | 'port_forward' | 'masquerade'
export type ImportTable = 'filter' | 'nat'

export interface NetworkImportId {
  kind: 'network'
  /** Docker network name or id (either; the lead decides which wins when both match). */
  network: string
}

export interface AttachmentImportId {
  kind: 'attachment'
  /** Docker container name or id. */
  container: string
  /** Docker network name or id. */
  network: string
}

export type RuleSelector = {by: 'text'; spec: string} | {by: 'position'; position: number}

export interface RuleImportId {
  kind: 'rule' | 'port_forward' | 'masquerade'
  namespace: NamespaceKey
  family: Family
  table: ImportTable
  chain: string
  selector: RuleSelector
}

export type ImportId = NetworkImportId | AttachmentImportId | RuleImportId

export type ParseResult = {ok: true; id: ImportId} | {ok: false; error: string}

/** Chains whose table needs no prefix. */
export const IMPLIED_TABLE: Readonly<Record<string, ImportTable>> = {
  FORWARD: 'filter',
  'DOCKER-USER': 'filter',
  INPUT: 'filter',
  OUTPUT: 'filter',
  PREROUTING: 'nat',
  POSTROUTING: 'nat',
}

const KIND_TABLE: Readonly<Record<RuleImportId['kind'], ImportTable>> = {
  rule: 'filter',
  port_forward: 'nat',
  masquerade: 'nat',
}

const IDENT = '[A-Za-z_][A-Za-z0-9_-]*'
const ADDRESS_KIND: ReadonlyArray<[RegExp, ImportKind]> = [
  [new RegExp(`^network\\.${IDENT}$`), 'network'],
  [new RegExp(`^container\\.${IDENT}\\.network\\.${IDENT}$`), 'attachment'],
  [new RegExp(`^rule\\.${IDENT}$`), 'rule'],
  [new RegExp(`^port_forward\\.${IDENT}$`), 'port_forward'],
  [new RegExp(`^masquerade\\.${IDENT}$`), 'masquerade'],
]

/** The kind of object an import address takes; undefined for addresses nothing can be imported into. */
export function importKindOf(address: string): ImportKind | undefined {
  return ADDRESS_KIND.find(([re]) => re.test(address))?.[1]
}

const NAMESPACE_RE = new RegExp(`^container\\.(${IDENT})/`)
const DOCKER_REF_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/
const CHAIN_RE = /^[^\s:!"'#]{1,28}$/

const fail = (error: string): ParseResult => ({ok: false, error})

export function parseImportId(kind: ImportKind, text: string): ParseResult {
  const t = text.trim()
  if (t === '') return fail('the import ID is empty')
  switch (kind) {
    case 'network':
      if (!DOCKER_REF_RE.test(t)) return fail(`"${t}" is not a Docker network name or id`)
      return {ok: true, id: {kind, network: t}}
    case 'attachment': {
      const parts = t.split('/')
      if (parts.length !== 2 || !DOCKER_REF_RE.test(parts[0]!) || !DOCKER_REF_RE.test(parts[1]!)) {
        return fail(`an attachment ID is CONTAINER/NETWORK (Docker names or ids), got "${t}"`)
      }
      return {ok: true, id: {kind, container: parts[0]!, network: parts[1]!}}
    }
    default:
      return parseRuleId(kind, t)
  }
}

function parseRuleId(kind: RuleImportId['kind'], text: string): ParseResult {
  let rest = text
  let namespace: NamespaceKey = 'host'
  const ns = NAMESPACE_RE.exec(rest)
  if (ns) {
    namespace = `container.${ns[1]!}`
    rest = rest.slice(ns[0].length)
  }
  const colon = rest.indexOf(':')
  if (colon < 0)
    return fail(`a ${kind} ID is [container.LABEL/][ipv6:][TABLE:]CHAIN:RULE-TEXT or CHAIN:#N, got "${text}"`)
  let head = rest.slice(0, colon)
  rest = rest.slice(colon + 1)
  let family: Family | undefined
  if (head === 'ipv4' || head === 'ipv6') {
    family = head
    const c = rest.indexOf(':')
    if (c < 0) return fail(`after the family comes [TABLE:]CHAIN:RULE-TEXT or CHAIN:#N, got "${text}"`)
    head = rest.slice(0, c)
    rest = rest.slice(c + 1)
  }
  let table: ImportTable | undefined
  if (head === 'filter' || head === 'nat') {
    table = head
    const c = rest.indexOf(':')
    if (c < 0) return fail(`after the table comes CHAIN:RULE-TEXT or CHAIN:#N, got "${text}"`)
    head = rest.slice(0, c)
    rest = rest.slice(c + 1)
  }
  const chain = head
  if (!CHAIN_RE.test(chain)) return fail(`"${chain}" is not a chain name`)
  table ??= IMPLIED_TABLE[chain]
  if (table === undefined)
    return fail(`the table of chain ${chain} is not implied; write filter:${chain}:… or nat:${chain}:…`)
  const want = KIND_TABLE[kind]
  if (table !== want) return fail(`a ${kind} lives in the ${want} table, but ${table}:${chain} is given`)
  const selector = parseSelector(rest.trim())
  if ('error' in selector) return fail(selector.error)
  // A rule text naming IPv6 addresses is an ip6tables rule; only a position needs the family said.
  const implied: Family =
    selector.by === 'text' && detectFamily(`-A ${chain} ${selector.spec}\n`) === 'ipv6' ? 'ipv6' : 'ipv4'
  if (family === 'ipv4' && implied === 'ipv6')
    return fail(`"${selector.by === 'text' ? selector.spec : ''}" has IPv6 addresses, but ipv4: is given`)
  return {ok: true, id: {kind, namespace, family: family ?? implied, table, chain, selector}}
}

function parseSelector(s: string): RuleSelector | {error: string} {
  if (s === '')
    return {
      error: 'the rule text after CHAIN: is empty (write the rule as iptables-save prints it, or #N for its position)',
    }
  if (s.startsWith('#')) {
    const n = s.slice(1)
    if (!/^[1-9][0-9]*$/.test(n)) return {error: `"${s}" is not a rule position (#1 is the first rule of the chain)`}
    return {by: 'position', position: Number(n)}
  }
  if (/^-A\s/.test(s) || /^--append\s/.test(s)) return {error: 'leave out "-A CHAIN": the chain comes before the colon'}
  return {by: 'text', spec: s}
}

export function formatImportId(id: ImportId): string {
  switch (id.kind) {
    case 'network':
      return id.network
    case 'attachment':
      return `${id.container}/${id.network}`
    default: {
      const ns = id.namespace === 'host' ? '' : `${id.namespace}/`
      const table = IMPLIED_TABLE[id.chain] === id.table ? '' : `${id.table}:`
      const sel = id.selector.by === 'position' ? `#${id.selector.position}` : id.selector.spec
      // The family is said unless the rule text implies it (IPv6 addresses) or it is IPv4.
      const implied = id.selector.by === 'text' && detectFamily(`-A ${id.chain} ${id.selector.spec}\n`) === id.family
      const family = id.family === 'ipv4' || implied ? '' : `${id.family}:`
      return `${ns}${family}${table}${id.chain}:${sel}`
    }
  }
}

export type LocateResult = {ok: true; index: number} | {ok: false; error: string}

/**
 * Finds the rule a rule ID names in the refreshed namespaces: its 0-based index among
 * the chain's rules. Text is compared in normal form; a text that matches several
 * rules is ambiguous and must be given by position.
 */
export function locateRule(id: RuleImportId, namespaces: readonly ActualNamespace[]): LocateResult {
  const ns = namespaces.find((n) => n.key === id.namespace)
  if (!ns) return {ok: false, error: `namespace ${id.namespace} was not read`}
  const tables = familyTables(ns, id.family)
  if (!tables) return {ok: false, error: `ip6tables of ${id.namespace} were not read (it has no IPv6 address)`}
  const where = id.family === 'ipv4' ? id.table : `ip6tables ${id.table}`
  const chain = tables[id.table]?.chains.find((c) => c.name === id.chain)
  if (!chain) return {ok: false, error: `${where} chain ${id.chain} does not exist in ${id.namespace}`}
  if (id.selector.by === 'position') {
    const i = id.selector.position - 1
    if (i >= chain.rules.length)
      return {ok: false, error: `${id.chain} has ${chain.rules.length} rule(s); there is no #${id.selector.position}`}
    return {ok: true, index: i}
  }
  const want = normalizeRuleSpec(id.selector.spec, {family: id.family})
  const hits = chain.rules.flatMap((r, i) => (r.spec === want ? [i] : []))
  if (hits.length === 0) return {ok: false, error: `no rule in ${where} ${id.chain} reads "${want}"`}
  if (hits.length > 1)
    return {
      ok: false,
      error: `${hits.length} rules in ${where} ${id.chain} read "${want}" (#${hits.map((i) => i + 1).join(', #')}); give the position instead`,
    }
  return {ok: true, index: hits[0]!}
}
