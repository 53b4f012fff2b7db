// What a plan looks like to a person, independent of where it is shown: the
// symbol, colour and wording of each action, resource groups, attribute diffs
// and the iptables line diff. The text renderer and the Ink review both read
// this, so `dockwall plan | cat` and the interactive view say the same things.
import {diffArrays} from 'diff'

import {jsonEqual, type Json, type ResourceType, type RuleLine} from '../model/resources.js'
import {REQUESTED_REPLACE, type Action, type Change, type Drift, type DriftKind, type Plan} from '../plan/types.js'
import {seg, type Color, type Segment, type StyledLine} from './styled.js'

export interface ActionMeta {
  /** Three columns, right-aligned, as Terraform draws them (`  +`, `-/+`). */
  symbol: StyledLine
  /** Completes "# network.x …": `will be created`. */
  phrase: string
  /** The legend entry in the plan header. */
  legend: string
  /** One word for list rows. */
  word: string
  color: Color | undefined
}

export const ACTION_META: Record<Action, ActionMeta> = {
  create: {
    symbol: [seg('  +', {color: 'green'})],
    phrase: 'will be created',
    legend: 'create',
    word: 'create',
    color: 'green',
  },
  update: {
    symbol: [seg('  ~', {color: 'yellow'})],
    phrase: 'will be updated in-place',
    legend: 'update in-place',
    word: 'update',
    color: 'yellow',
  },
  replace: {
    symbol: [seg('-', {color: 'red'}), seg('/'), seg('+', {color: 'green'})],
    phrase: 'must be replaced',
    legend: 'destroy and then create replacement',
    word: 'replace',
    color: 'red',
  },
  delete: {
    symbol: [seg('  -', {color: 'red'})],
    phrase: 'will be destroyed',
    legend: 'destroy',
    word: 'destroy',
    color: 'red',
  },
  // Terraform has no symbol for "waits for a container"; an ellipsis reads as
  // "pending" and cannot be mistaken for one of the four real actions.
  deferred: {
    symbol: [seg('  …', {color: 'cyan'})],
    phrase: 'is deferred',
    // Not always a wait: a change with no address family to be written in is deferred too.
    legend: 'deferred, not applied now (why is said under it)',
    word: 'deferred',
    color: 'cyan',
  },
  'no-op': {symbol: [seg('   ')], phrase: 'has no changes', legend: 'no change', word: 'no change', color: undefined},
}

/** Legend order, as in Terraform's plan header. */
export const LEGEND_ORDER: Action[] = ['create', 'update', 'replace', 'delete', 'deferred']

export interface DriftMeta {
  symbol: Segment
  phrase: string
}

export const DRIFT_META: Record<DriftKind, DriftMeta> = {
  deleted: {symbol: seg('-', {color: 'red'}), phrase: 'has been deleted'},
  changed: {symbol: seg('~', {color: 'yellow'}), phrase: 'has been changed'},
  'foreign-rule': {symbol: seg('+', {color: 'yellow'}), phrase: 'has a rule dockwall did not write'},
  'jump-missing': {symbol: seg('-', {color: 'red'}), phrase: 'lost its jump rule'},
  'lost-static-ip': {symbol: seg('~', {color: 'yellow'}), phrase: 'lost its static address'},
}

/** Resource groups in dependency order: what things are built on comes first. */
export const TYPE_ORDER: ResourceType[] = [
  'network',
  'attachment',
  'route',
  'chain',
  'rule',
  'port_forward',
  'masquerade',
  'firewall',
]

export const TYPE_TITLE: Record<ResourceType, string> = {
  network: 'Networks',
  attachment: 'Attachments',
  route: 'Routes',
  chain: 'Chains',
  rule: 'Rules',
  port_forward: 'Port forwards',
  masquerade: 'Masquerades',
  firewall: 'Firewall',
}

/** Plural nouns for "19,997 more rules like these". */
export const TYPE_NOUN: Record<ResourceType, string> = {
  network: 'networks',
  attachment: 'attachments',
  route: 'routes',
  chain: 'chains',
  rule: 'rules',
  port_forward: 'port forwards',
  masquerade: 'masquerades',
  firewall: 'firewall settings',
}

export interface ChangeGroup {
  type: ResourceType
  title: string
  changes: Change[]
}

/** Changes worth showing (no-ops are not), grouped by resource type in TYPE_ORDER, by address inside a group. */
export function groupChanges(changes: readonly Change[]): ChangeGroup[] {
  const groups: ChangeGroup[] = []
  for (const type of TYPE_ORDER) {
    // An import that changes nothing on the host is still shown: the plan adopts it.
    const list = changes
      .filter((c) => c.type === type && (c.action !== 'no-op' || c.importing))
      .sort((a, b) => compare(a.address, b.address))
    if (list.length > 0) groups.push({type, title: TYPE_TITLE[type], changes: list})
  }
  return groups
}

/** Byte order, not locale order, so output is the same on every machine. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Actions present in the plan, in legend order (Terraform only explains the symbols it uses). */
export function actionsUsed(plan: Plan): Action[] {
  const used = new Set(plan.changes.map((c) => c.action))
  return LEGEND_ORDER.filter((a) => used.has(a))
}

/** `network "frontend"`: the block header of a change. */
export function blockName(change: Change): string {
  // A singleton resource (`firewall`) is named by its type alone.
  if (change.address === change.type) return change.type
  const prefix = `${change.type}.`
  const name = change.address.startsWith(prefix) ? change.address.slice(prefix.length) : change.address
  // Addresses with their own quotes (routes: route["10.0.0.0/8"]) read better bare.
  return `${change.type} ${name.includes('"') ? name : `"${name}"`}`
}

// ---------------------------------------------------------------- values

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/

/** HCL-like rendering of a value: strings quoted, lists in brackets, maps as `{ k = v }`. */
export function formatValue(v: Json): string {
  if (v === null) return 'null'
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x)).join(', ')}]`
  const keys = Object.keys(v).sort(compare)
  if (keys.length === 0) return '{}'
  return `{ ${keys.map((k) => `${IDENT.test(k) ? k : JSON.stringify(k)} = ${formatValue(v[k] ?? null)}`).join(', ')} }`
}

// ---------------------------------------------------------------- change bodies

export type Marker = '+' | '-' | '~' | ' '

const MARKER_COLOR: Record<Marker, Color | undefined> = {'+': 'green', '-': 'red', '~': 'yellow', ' ': undefined}

function marker(m: Marker): Segment {
  const color = MARKER_COLOR[m]
  return color ? seg(`${m} `, {color}) : seg(`${m} `)
}

export interface AttributeDiff {
  key: string
  marker: Marker
  before?: Json
  after?: Json
}

/**
 * Attribute by attribute, Terraform style: created ones `+`, removed `-`,
 * changed `~` with both values, unchanged ones ` ` (changeBody counts them for an
 * update or a replace, as Terraform does). Null values of created and deleted
 * objects are left out, as Terraform does.
 */
export function attributeDiffs(change: Change): AttributeDiff[] {
  const before = change.before ?? {}
  const after = change.after ?? {}
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(compare)
  const out: AttributeDiff[] = []
  for (const key of keys) {
    const b = key in before ? before[key] : undefined
    const a = key in after ? after[key] : undefined
    if (change.action === 'deferred') {
      // Nothing is known about the real object yet: show what is wanted, no markers.
      const v = a !== undefined ? a : b
      if (v !== null && v !== undefined) out.push({key, marker: ' ', after: v})
      continue
    }
    const hasB = b !== undefined && b !== null
    const hasA = a !== undefined && a !== null
    if (!hasB && !hasA) continue
    if (!hasB) out.push({key, marker: '+', after: a})
    else if (!hasA) out.push({key, marker: '-', before: b})
    else if (jsonEqual(a, b)) out.push({key, marker: ' ', before: b, after: a})
    else out.push({key, marker: '~', before: b, after: a})
  }
  return out
}

function attributeLine(d: AttributeDiff, keyWidth: number, forces = false): StyledLine {
  const key = d.key.padEnd(keyWidth)
  // Terraform marks the attribute whose new value forces a replacement on its own line.
  const why: StyledLine = forces ? [seg(' # forces replacement', {color: 'red'})] : []
  switch (d.marker) {
    case '+':
      return [marker('+'), seg(`${key} = ${formatValue(d.after ?? null)}`), ...why]
    case '-':
      return [marker('-'), seg(`${key} = ${formatValue(d.before ?? null)}`), seg(' -> null', {dim: true}), ...why]
    case '~':
      return [
        marker('~'),
        seg(`${key} = ${formatValue(d.before ?? null)} `),
        seg('->', {color: 'yellow'}),
        seg(` ${formatValue(d.after ?? null)}`),
        ...why,
      ]
    case ' ':
      return [marker(' '), seg(`${key} = ${formatValue(d.after ?? d.before ?? null)}`)]
  }
}

/** The command a family's lines belong to, as the plan names them. */
export function tool(family: RuleLine['family']): string {
  return family === 'ipv4' ? 'iptables' : 'ip6tables'
}

export function ruleLineText(l: RuleLine): string {
  return `-A ${l.chain} ${l.spec}`
}

export interface LineDiffGroup {
  namespace: RuleLine['namespace']
  family: RuleLine['family']
  table: RuleLine['table']
  lines: {marker: Marker; text: string}[]
}

/**
 * The iptables lines a change removes and writes, per (namespace, table) since
 * that is the unit apply commits, diffed line by line with the `diff` package so
 * an edited rule shows as one `-` and one `+` among the unchanged ones.
 */
export function lineDiff(change: Change): LineDiffGroup[] {
  if (!change.lines) return []
  const keyOf = (l: RuleLine) => `${l.namespace}\u0000${l.family}\u0000${l.table}`
  const order: string[] = []
  const groups = new Map<
    string,
    {
      namespace: RuleLine['namespace']
      family: RuleLine['family']
      table: RuleLine['table']
      before: string[]
      after: string[]
    }
  >()
  const add = (l: RuleLine, side: 'before' | 'after') => {
    const k = keyOf(l)
    let g = groups.get(k)
    if (!g) {
      g = {namespace: l.namespace, family: l.family, table: l.table, before: [], after: []}
      groups.set(k, g)
      order.push(k)
    }
    g[side].push(ruleLineText(l))
  }
  for (const l of change.lines.before) add(l, 'before')
  for (const l of change.lines.after) add(l, 'after')
  const out: LineDiffGroup[] = []
  for (const k of order) {
    const g = groups.get(k)
    if (!g) continue
    const lines: LineDiffGroup['lines'] = []
    for (const part of diffArrays(g.before, g.after)) {
      const m: Marker = part.added ? '+' : part.removed ? '-' : ' '
      for (const text of part.value) lines.push({marker: m, text})
    }
    out.push({namespace: g.namespace, family: g.family, table: g.table, lines})
  }
  return out
}

function comment(text: string): StyledLine {
  return [seg('  '), seg(`# ${text}`, {dim: true})]
}

/**
 * The inside of a change block: attributes, the iptables diff, what a replace
 * disconnects. Every line starts with a two-column marker (`+ `, `~ `, `  `) so
 * the caller only adds indentation.
 */
export function changeBody(change: Change): StyledLine[] {
  const out: StyledLine[] = []
  const all = attributeDiffs(change)
  // An update or a replace shows what changes; the rest is counted, as Terraform folds it.
  const fold = change.action === 'update' || change.action === 'replace'
  const attrs = fold ? all.filter((d) => d.marker !== ' ') : all
  const keyWidth = Math.max(0, ...attrs.map((d) => d.key.length))
  const forces = new Set(change.action === 'replace' ? (change.replacePaths ?? []) : [])
  for (const d of attrs) out.push(attributeLine(d, keyWidth, forces.has(d.key)))
  const hidden = all.length - attrs.length
  if (hidden > 0) out.push(comment(`(${hidden} unchanged attribute${hidden === 1 ? '' : 's'} hidden)`))
  for (const g of lineDiff(change)) {
    if (out.length > 0) out.push([])
    out.push(comment(`${tool(g.family)}: ${g.namespace}, ${g.table} table`))
    for (const l of g.lines)
      out.push([marker(l.marker), l.marker === ' ' ? seg(l.text) : seg(l.text, {color: MARKER_COLOR[l.marker]})])
  }
  if (change.disconnects && change.disconnects.length > 0) {
    if (out.length > 0) out.push([])
    out.push(
      comment(
        change.action === 'replace'
          ? `disconnects ${change.disconnects.join(', ')} (reconnected afterwards)`
          : `disconnects ${change.disconnects.join(', ')}`,
      ),
    )
  }
  return out
}

/** `# network.backend must be replaced`, then one `# (reason)` line per reason. */
export function changeHeader(change: Change): StyledLine[] {
  const phrase = change.requested
    ? 'will be replaced, as requested'
    : !change.importing
      ? ACTION_META[change.action].phrase
      : change.action === 'no-op'
        ? 'will be imported'
        : change.action === 'create'
          ? "will be imported and moved into dockwall's chain"
          : `will be imported, then ${ACTION_META[change.action].phrase.replace(/^will be /, '')}`
  const out: StyledLine[] = [[seg(`# ${change.address}`, {bold: true}), seg(` ${phrase}`)]]
  // The header says it already.
  for (const r of change.reasons)
    if (!change.requested || r !== REQUESTED_REPLACE) out.push([seg(`# (${r})`, {dim: true})])
  return out
}

/** A short note for one-line list rows: the first reason, or the action in a word. */
export function changeNote(change: Change): string {
  const reason = change.reasons[0]
  const word = ACTION_META[change.action].word
  return reason ? `${word}: ${reason}${change.reasons.length > 1 ? ` (+${change.reasons.length - 1} more)` : ''}` : word
}

export function driftHeader(d: Drift): StyledLine {
  return [seg(`# ${d.address}`, {bold: true}), seg(` ${DRIFT_META[d.kind].phrase}`)]
}

/** A drift entry's body, each line with a two-column marker like change bodies. */
export function driftBody(d: Drift): StyledLine[] {
  const out: StyledLine[] = [
    [{...DRIFT_META[d.kind].symbol, text: `${DRIFT_META[d.kind].symbol.text} `}, seg(d.summary)],
  ]
  if (d.line) {
    out.push(comment(`${tool(d.line.family)}: ${d.line.namespace}, ${d.line.table} table`))
    out.push([seg('  '), seg(ruleLineText(d.line))])
  }
  return out
}
