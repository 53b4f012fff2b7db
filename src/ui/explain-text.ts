// `dockwall explain` for people: the verdict and the rule that decided it, then each
// packet's path namespace by namespace, chain by chain, with every rule that matched
// and its owner. The JSON form (explainJson) carries the same answer as data.
import type {
  Answer,
  ChainRef,
  Decision,
  ExplainResult,
  FlowAnswer,
  Owner,
  PacketTrace,
  PacketView,
  RuleRef,
  Step,
} from '../explain/index.js'

export interface ExplainView {
  /** FROM and TO as asked. */
  from: string
  to: string
  proto: string
  port?: number
  inInterface?: string
  planned: boolean
  answer: Answer
  /** --planned: what was played onto the host. */
  plannedNote?: {transactions: number; skipped: string[]; dockerChanges: number; failed?: string[]}
  warnings: string[]
}

export const EXPLAIN_JSON_VERSION = '1.0'

export function ownerText(o: Owner): string {
  switch (o.kind) {
    case 'dockwall':
      return `dockwall:${o.address}`
    case 'docker':
      return 'Docker'
    case 'foreign':
      return `foreign (${o.chain} #${o.position})`
  }
}

function fam(f: 'ipv4' | 'ipv6'): string {
  return f === 'ipv6' ? 'ip6 ' : ''
}

export function ruleWhere(r: RuleRef): string {
  return `${r.namespace} ${fam(r.family)}${r.table} ${r.chain} rule ${r.position}`
}

function chainWhere(c: ChainRef): string {
  return `${c.namespace} ${fam(c.family)}${c.table} ${c.chain}`
}

/** The decision in one line and, for a rule, its text on the next. */
export function decisionLines(d: Decision): string[] {
  switch (d.kind) {
    case 'rule':
      return [`${ruleWhere(d.rule)} (${ownerText(d.rule.owner)}): ${d.target}`, `  ${d.rule.text}`]
    case 'policy':
      return [`the policy of ${chainWhere(d.chain)}: ${d.policy}`]
    case 'routing':
      return [`routing in ${d.namespace}: ${d.reason}`]
    case 'socket':
      return [`${d.namespace}: ${d.reason}`]
    case 'unknown':
      return [`unknown: ${d.reason}`, ...d.rules.map((r) => `  ${ruleWhere(r)} (${ownerText(r.owner)}): ${r.text}`)]
  }
}

function packetText(p: PacketView): string {
  const port = (a: string, n?: number): string =>
    n === undefined ? a : p.family === 'ipv6' ? `[${a}]:${n}` : `${a}:${n}`
  const extra = p.tcpFlags ? ` [${p.tcpFlags}]` : p.icmpType !== undefined ? ` type ${p.icmpType}` : ''
  return `${port(p.src, p.sport)} -> ${port(p.dst, p.dport)} ${p.proto}${extra}`
}

const PACKET_NAMES: Record<PacketTrace['packet'], string> = {
  neighbour: 'neighbour discovery',
  first: 'first packet',
  reply: 'reply',
  next: "client's next packet",
}

/** One trace's steps, indented by namespace, chain and jump depth. */
export function traceLines(t: PacketTrace): string[] {
  const out: string[] = []
  const first = t.steps.find((s): s is Extract<Step, {kind: 'enter'}> => s.kind === 'enter')
  out.push(`${PACKET_NAMES[t.packet]}: ${first ? packetText(first.packet) : ''}`)
  let depth = 0
  // A chain whose only step is its policy shows on one line.
  let openChain: {ref: ChainRef; line: number} | undefined
  const at = (n: number, text: string): void => {
    out.push(`${'  '.repeat(n)}${text}`)
  }
  for (const s of t.steps) {
    switch (s.kind) {
      case 'enter': {
        const how = s.interface ? `received on ${s.interface}${s.physdev ? ` (bridge port ${s.physdev})` : ''}` : 'sent'
        at(1, `${s.namespace}: ${how}`)
        openChain = undefined
        break
      }
      case 'route':
        at(
          2,
          `route: ${s.decision}${s.interface ? ` via ${s.interface}` : ''}${s.nextHop ? ` (next hop ${s.nextHop})` : ''}`,
        )
        openChain = undefined
        break
      case 'conntrack':
        at(2, `conntrack: ${s.state}${s.direction === 'reply' ? ' (reply)' : ''}${s.nat ? `, ${s.nat}` : ''}`)
        openChain = undefined
        break
      case 'chain':
        depth = 0
        at(2, `${fam(s.chain.family)}${s.chain.table} ${s.chain.chain}`)
        openChain = {ref: s.chain, line: out.length - 1}
        break
      case 'rule':
        at(
          3 + depth,
          `#${s.rule.position} ${s.rule.text}  -> ${s.effect}  [${ownerText(s.rule.owner)}]${s.unknown ? ` (not modelled: ${s.unknown}; taken as matching)` : ''}`,
        )
        openChain = undefined
        if (s.effect.startsWith('jump ')) depth++
        else if (s.effect === 'RETURN' && depth > 0) depth--
        break
      case 'return':
        if (depth > 0) depth--
        openChain = undefined
        break
      case 'policy':
        if (openChain && openChain.line === out.length - 1) out[openChain.line] += `: policy ${s.policy}`
        else at(3, `policy ${s.policy}`)
        openChain = undefined
        break
      case 'nat':
        at(2, `${s.nat}: ${s.from} -> ${s.to}${s.rule ? ` (${ruleWhere(s.rule)}, ${ownerText(s.rule.owner)})` : ''}`)
        openChain = undefined
        break
      case 'deliver':
        at(2, `delivered to ${s.address}${s.port !== undefined ? ` port ${s.port}` : ''}`)
        break
      case 'leave':
        at(2, `leaves by ${s.interface} (next hop ${s.nextHop})`)
        break
    }
  }
  const o = t.outcome
  if (o.kind === 'dropped') at(1, `=> dropped: ${decisionLines(o.by)[0]}`)
  else if (o.kind === 'delivered')
    at(1, `=> delivered in ${o.namespace}${o.proxy ? ` to docker-proxy (${o.proxy.address}:${o.proxy.port})` : ''}`)
  else at(1, `=> leaves ${o.namespace} by ${o.interface}`)
  return out
}

function resultLines(r: ExplainResult, indent: string): string[] {
  const out: string[] = []
  const [decided, ...more] = decisionLines(r.decidedBy)
  out.push(`${indent}decided by ${decided}`, ...more.map((l) => `${indent}${l}`))
  if (r.unmodelled.length > 0) {
    out.push(`${indent}rules outside the model on the way:`)
    for (const u of r.unmodelled) out.push(`${indent}  ${ruleWhere(u.rule)} (${u.what}): ${u.rule.text}`)
  }
  for (const t of r.traces) {
    out.push('')
    out.push(...traceLines(t).map((l) => `${indent}${l}`))
  }
  if (r.relay) {
    out.push('')
    out.push(`${indent}the proxy's own connection onward: ${r.relay.verdict}`)
    out.push(...resultLines(r.relay, `${indent}  `))
  }
  return out
}

/** One flow's answer: who to whom, the deciding rule, each packet's path. */
export function flowLines(f: FlowAnswer): string[] {
  return [`${f.fromLabel} -> ${f.toLabel}`, ...resultLines(f.result, '')]
}

function flowHeading(f: FlowAnswer): string {
  return `${f.result.verdict}: ${f.fromLabel} -> ${f.toLabel}`
}

export function renderExplainText(v: ExplainView): string {
  const out: string[] = []
  const what = `${v.proto}${v.port !== undefined && v.proto !== 'icmp' ? ` port ${v.port}` : ''}`
  const head = `${v.answer.verdict}: ${v.from} -> ${v.to}, ${what}${v.planned ? ' (as planned)' : ''}`
  out.push(head)
  if (v.plannedNote) {
    const n = v.plannedNote
    out.push(
      `as planned: ${n.transactions} iptables transaction${n.transactions === 1 ? '' : 's'} of the plan played onto the rules read`,
    )
    if (n.dockerChanges > 0)
      out.push(
        `  ${n.dockerChanges} Docker change${n.dockerChanges === 1 ? '' : 's'} (networks, attachments) not applied: Docker is evaluated as it is`,
      )
    if (n.skipped.length > 0) out.push(`  not running, their planned rules left out: ${n.skipped.join(', ')}`)
    for (const f of n.failed ?? []) out.push(`  iptables-restore would refuse ${f} (that table left as it is)`)
  }
  for (const w of v.warnings) out.push(`warning: ${w}`)
  const many = v.answer.flows.length > 1
  if (many) {
    out.push('')
    out.push(`${v.answer.flows.length} flows:`)
    for (const f of v.answer.flows) out.push(`  ${flowHeading(f)}`)
  }
  for (const f of v.answer.flows) {
    out.push('')
    if (many) out.push(flowHeading(f))
    else out.push(`${f.fromLabel} -> ${f.toLabel}`)
    out.push(...resultLines(f.result, ''))
  }
  return `${out.join('\n')}\n`
}

/** The documented JSON form of an answer. */
export function explainJson(v: ExplainView): object {
  return {
    format_version: EXPLAIN_JSON_VERSION,
    question: {
      from: v.from,
      to: v.to,
      proto: v.proto,
      ...(v.port !== undefined ? {port: v.port} : {}),
      ...(v.inInterface ? {in_interface: v.inInterface} : {}),
      planned: v.planned,
    },
    verdict: v.answer.verdict,
    flows: v.answer.flows.map((f) => snakeKeys({from: f.fromLabel, to: f.toLabel, query: f.query, ...f.result})),
    ...(v.plannedNote
      ? {
          planned: {
            transactions: v.plannedNote.transactions,
            skipped_namespaces: v.plannedNote.skipped,
            docker_changes_not_evaluated: v.plannedNote.dockerChanges,
            refused_transactions: v.plannedNote.failed ?? [],
          },
        }
      : {}),
    warnings: v.warnings,
  }
}

/** The evaluator's camelCase fields as the JSON views spell keys (docs/PLAN-JSON.md: snake_case); values stay as they are. */
function snakeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeKeys)
  if (v === null || typeof v !== 'object') return v
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snakeKeys(x)]),
  )
}
