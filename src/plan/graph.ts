// The plan's dependency graph as DOT (for `dot -Tsvg`) or Mermaid.
import type {Action, Plan} from './types.js'

const COLOR: Record<Action, string> = {
  create: 'darkgreen',
  update: 'darkgoldenrod',
  replace: 'darkorange',
  delete: 'firebrick',
  'no-op': 'gray50',
  deferred: 'steelblue',
}

const SYMBOL: Record<Action, string> = {
  create: '+',
  update: '~',
  replace: '-/+',
  delete: '-',
  'no-op': ' ',
  deferred: '…',
}

export interface GraphOptions {
  /** Include resources with no change (default: yes, they explain dependencies). */
  includeNoop?: boolean
}

function nodes(plan: Plan, opts: GraphOptions) {
  const shown = plan.changes.filter((c) => opts.includeNoop !== false || c.action !== 'no-op')
  const set = new Set(shown.map((c) => c.address))
  const edges: Array<[string, string]> = []
  for (const c of shown)
    for (const d of c.dependsOn) if (set.has(d)) edges.push(c.action === 'delete' ? [c.address, d] : [d, c.address])
  return {shown, edges: edges.sort((a, b) => (a.join() < b.join() ? -1 : 1))}
}

function dotQuote(s: string): string {
  return `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

/** Edges point in execution order: creates after what they depend on, deletes before what they depended on. */
export function toDot(plan: Plan, opts: GraphOptions = {}): string {
  const {shown, edges} = nodes(plan, opts)
  const out = ['digraph dockwall {', '  rankdir=LR;', '  node [shape=box, fontname="monospace"];']
  for (const c of shown)
    out.push(
      `  ${dotQuote(c.address)} [label=${dotQuote(`${SYMBOL[c.action]} ${c.address}`.trim())}, color=${COLOR[c.action]}, fontcolor=${COLOR[c.action]}];`,
    )
  for (const [a, b] of edges) out.push(`  ${dotQuote(a)} -> ${dotQuote(b)};`)
  out.push('}', '')
  return out.join('\n')
}

export function toMermaid(plan: Plan, opts: GraphOptions = {}): string {
  const {shown, edges} = nodes(plan, opts)
  const id = new Map(shown.map((c, i) => [c.address, `n${i}`]))
  const out = ['flowchart LR']
  for (const c of shown)
    out.push(`  ${id.get(c.address)}["${`${SYMBOL[c.action]} ${c.address}`.trim().replaceAll('"', '#quot;')}"]`)
  for (const [a, b] of edges) out.push(`  ${id.get(a)} --> ${id.get(b)}`)
  for (const c of shown) if (c.action !== 'no-op') out.push(`  style ${id.get(c.address)} stroke:${COLOR[c.action]}`)
  out.push('')
  return out.join('\n')
}
