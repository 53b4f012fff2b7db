// The typed form of an iptables-save dump (and of iptables-restore input).
//
// A parsed rule keeps what was written: matches and options in their written
// order, aliases as spelled, implicit protocol matches as implicit. So
// `write(parse(text))` reproduces the text (up to whitespace and quoting, which
// follow iptables-save). `Rule.key` is the rule in iptables-save's normal form
// (see normalize.ts), which is what to compare a desired rule against.

// The shared vocabulary defines the family; the netfilter layer speaks it too.
export type {Family} from '../model/types.js'

/** Packet and byte counters (`[p:b]`). u64 in the kernel, hence bigint: convert before JSON.stringify. */
export interface Counters {
  packets: bigint
  bytes: bigint
}

/** The one-letter header options of a rule; `-f` (fragment) takes no value. */
export type HeaderOption = 's' | 'd' | 'i' | 'o' | 'p' | 'f'

/** `-s ADDR`, `! -i eth0`, `-p tcp`, `-f`. */
export interface HeaderMatch {
  kind: 'header'
  option: HeaderOption
  negated: boolean
  /** null only for `-f`. */
  value: string | null
}

/** One `--name values...` option of a match module or target, with `!` before it when negated. */
export interface ExtOption {
  /** Without the leading dashes: `dport`, `comment`, `to-destination`. */
  name: string
  negated: boolean
  /** Zero (`--syn`, `--rsource`), one, or more (`--tcp-flags MASK COMP`) values, unquoted. */
  values: string[]
}

/** `-m name --opt ...`; `implicit` is a protocol match loaded by `-p tcp --dport 80` without `-m tcp`. */
export interface ModuleMatch {
  kind: 'module'
  name: string
  options: ExtOption[]
  implicit?: boolean
}

export type Match = HeaderMatch | ModuleMatch

/** `-j NAME opts` (jump, or a target extension) or `-g CHAIN` (goto). */
export interface Target {
  kind: 'jump' | 'goto'
  name: string
  options: ExtOption[]
}

export interface Rule {
  table: string
  chain: string
  /** Present when the dump was saved with counters (`[p:b] -A ...`) or the rule has `-c P B`. */
  counters?: Counters
  /** In written order. */
  matches: Match[]
  /** null for a rule without `-j`/`-g` (it only counts packets). */
  target: Target | null
  /** The first `-m comment --comment` value (dockwall's own rules carry `dockwall:<address>`). */
  comment?: string
  /** Canonical form, equal for a loosely written rule and the form iptables-save prints back: `TABLE -A CHAIN args`. */
  key: string
}

export interface ChainDecl {
  name: string
  /** `ACCEPT`, `DROP`... for built-in chains, `-` for user chains. */
  policy: string
  counters?: Counters
}

export interface Table {
  name: string
  /** Declaration order (`:CHAIN POLICY [p:b]` lines). */
  chains: ChainDecl[]
  /** In dump order; each rule names its chain. */
  rules: Rule[]
  /** Rules left out by ParseOptions.chains (absent when none were). */
  skippedRules?: number
}

export interface Ruleset {
  tables: Table[]
}

/** A table whose rules are parsed one at a time, when first asked for (parseRulesetLazily). */
export interface LazyTable extends Table {
  /** The rule lines of one chain, in order, as the dump wrote them. */
  ruleLines(chain: string): readonly string[]
  /** The i-th (0-based) rule of a chain, parsed on the first call. */
  chainRule(chain: string, i: number): Rule
  /** Whether the dump has a rule in `chain`. */
  hasRules(chain: string): boolean
}

export function isLazyTable(t: Table): t is LazyTable {
  return typeof (t as Partial<LazyTable>).chainRule === 'function'
}

export const BUILTIN_CHAINS: Readonly<Record<string, readonly string[]>> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
}

export const TABLE_NAMES = ['filter', 'nat', 'mangle', 'raw', 'security'] as const
export type TableName = (typeof TABLE_NAMES)[number]

/** The rules of one chain, in order. */
export function chainRules(table: Table, chain: string): Rule[] {
  return table.rules.filter((r) => r.chain === chain)
}

export function findTable(ruleset: Ruleset, name: string): Table | undefined {
  return ruleset.tables.find((t) => t.name === name)
}
