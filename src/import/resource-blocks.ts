// Converted rules → `rule`, `port_forward` and `masquerade` blocks, with references
// where an address belongs to a known container or network, and readable labels:
//
//   rule          [CONTAINER_][ipv6_]CHAIN_N[_FROM][_to_TO][_PROTO[PORTS]][_ACTION]
//                 forward_1_backend_to_lb_tcp80, input_2_tcp22, lb_input_1_udp53_reject
//   port_forward  [CONTAINER_]IFACE_PROTOPORT[_to_TARGET | _redirect]
//                 wg0_tcp80_to_lb, lb_tcp8080_redirect
//   masquerade    [CONTAINER_]masq_SOURCE[_to_DEST][_OUTIF]
//                 masq_backend_eth0
//
// N counts the rules imported into one chain of one namespace, in evaluation order;
// FROM and TO are the referenced label or the address (10.0.0.0/8 → 10-0-0-0_8);
// ACTION is left out for accept. Labels are made unique by a numeric suffix.
import {addressFamily, FAMILIES, type Family, type PortRange} from '../model/types.js'
import {attribute, block, type HclBlock, type HclItem, type HclValue, ref} from './hcl-writer.js'
import {addressPart, type LabelAllocator, sanitizeLabel} from './labels.js'
import {findReference, type Reference, type ReferenceIndex} from './references.js'
import type {ConvertedMasquerade, ConvertedPortForward, ConvertedRule} from './rule-convert.js'

export interface BlockContext {
  index: ReferenceIndex
  /** The family of the table the rule was read from (iptables: ipv4, ip6tables: ipv6). */
  family: Family
  /** The families dockwall writes in that namespace: both on the host, IPv6 in a container only with an IPv6 address. */
  namespaceFamilies: readonly Family[]
  /** Label of the container whose namespace the rule lives in; undefined on the host. */
  inContainer?: string
  /** Called for every container a block refers to (so its block is generated). */
  useContainer: (label: string, why: string) => void
}

export interface BuiltBlock {
  address: string
  block: HclBlock
  /** Notes about choices that matter to a reader (literal kept instead of a reference…). */
  notes: string[]
}

function endpointValue(
  cidr: string | undefined,
  ctx: BlockContext,
  notes: string[],
  role: string,
): {value: HclValue; part?: string; families: readonly Family[]} {
  if (cidr === undefined) return {value: 'any', families: FAMILIES}
  const r: Reference = findReference(cidr, ctx.index)
  if (r.kind === 'literal') {
    if (r.note) notes.push(`${role}: ${r.note}`)
    return {value: r.text, part: addressPart(r.text), families: [addressFamily(r.text)]}
  }
  if (r.kind === 'container') {
    ctx.useContainer(r.label, 'a rule refers to it')
    if (r.note) notes.push(`${role}: ${r.note}`)
  }
  return {value: ref(r.text), part: r.label, families: r.families}
}

/**
 * `family = "<F>"` when the block as written would also render in the other family: "any" and
 * references to dual-stack containers or networks stand for both, but the rule read from
 * iptables (or ip6tables) matched one family only, and import must not widen it.
 */
function pinFamily(ctx: BlockContext, ends: ReadonlyArray<readonly Family[]>, body: HclItem[]): void {
  const rendered = FAMILIES.filter((f) => ctx.namespaceFamilies.includes(f) && ends.every((e) => e.includes(f)))
  if (rendered.some((f) => f !== ctx.family)) body.push(attribute('family', ctx.family))
}

function portText(p: PortRange): string {
  return p.from === p.to ? String(p.from) : `${p.from}-${p.to}`
}

function portsValue(ports: readonly PortRange[]): HclItem {
  const one = (p: PortRange): HclValue => (p.from === p.to ? p.from : portText(p))
  return ports.length === 1 ? attribute('port', one(ports[0]!)) : attribute('ports', ports.map(one))
}

function label(alloc: LabelAllocator, parts: ReadonlyArray<string | undefined>): string {
  return alloc.take(sanitizeLabel(parts.filter((p) => p !== undefined && p !== '').join('_'))).label
}

function description(comment: string | undefined, body: HclItem[], notes: string[]): void {
  if (comment === undefined) return
  // hcl2-parser drops the `$$` of an escaped `${`, and the loader would then evaluate it: keep such text in a comment.
  if (/[$%]\{/.test(comment)) notes.push(`its iptables comment was: ${comment}`)
  else body.push(attribute('description', comment))
}

export function ruleBlock(
  c: ConvertedRule,
  n: number,
  priority: number,
  ctx: BlockContext,
  alloc: LabelAllocator,
): BuiltBlock {
  const notes = [...c.notes]
  const from = endpointValue(c.source, ctx, notes, 'from')
  const to = endpointValue(c.destination, ctx, notes, 'to')
  const protoPart = c.proto === 'all' ? undefined : `${c.proto}${c.ports.map(portText).join('_')}`
  const name = label(alloc, [
    ctx.inContainer,
    ctx.family === 'ipv6' ? 'ipv6' : undefined,
    c.chain,
    String(n),
    from.part,
    to.part === undefined ? undefined : `to_${to.part}`,
    protoPart,
    c.action === 'accept' ? undefined : c.action,
  ])
  const body: HclItem[] = [attribute('chain', c.chain)]
  if (c.source !== undefined) body.push(attribute('from', from.value))
  if (c.destination !== undefined) body.push(attribute('to', to.value))
  if (c.proto !== 'all') body.push(attribute('proto', c.proto))
  if (c.ports.length > 0) body.push(portsValue(c.ports))
  body.push(attribute('action', c.action), attribute('priority', priority))
  if (c.inInterface !== undefined) body.push(attribute('in_interface', c.inInterface))
  if (c.outInterface !== undefined) body.push(attribute('out_interface', c.outInterface))
  if (ctx.inContainer !== undefined) body.push(attribute('in_container', ref(`container.${ctx.inContainer}`)))
  pinFamily(ctx, [from.families, to.families], body)
  description(c.comment, body, notes)
  return {address: `rule.${name}`, block: block('rule', [name], body), notes}
}

export function portForwardBlock(c: ConvertedPortForward, ctx: BlockContext, alloc: LabelAllocator): BuiltBlock {
  const notes = [...c.notes]
  let toValue: HclValue | undefined
  let toPart: string | undefined
  // A REDIRECT (no destination) is written in every family of the namespace.
  let toFamilies: readonly Family[] = FAMILIES
  if (c.to !== undefined) {
    const r = findReference(`${c.to}${addressFamily(c.to) === 'ipv4' ? '/32' : '/128'}`, ctx.index)
    toFamilies = r.kind === 'literal' ? [addressFamily(c.to)] : r.families
    if (r.kind === 'container' && r.label === ctx.inContainer) {
      // `to = container.<self>` renders a REDIRECT, not this DNAT: keep the address so the line stays the same.
      toValue = c.to
      toPart = r.label
      toFamilies = [addressFamily(c.to)]
      notes.push(
        `to: ${c.to} is the container's own address; it stays literal because to = container.${r.label} would be written as a REDIRECT`,
      )
    } else if (r.kind === 'container') {
      ctx.useContainer(r.label, 'a port forward sends to it')
      if (r.note) notes.push(`to: ${r.note}`)
      toValue = ref(r.text)
      toPart = r.label
    } else {
      if (r.kind === 'literal' && r.note) notes.push(`to: ${r.note}`)
      toValue = r.text
      toPart = addressPart(r.text)
    }
  }
  const where = ctx.inContainer === undefined ? c.inInterface : ctx.inContainer
  const name = label(alloc, [
    where,
    ctx.family === 'ipv6' ? 'ipv6' : undefined,
    `${c.proto}${c.port}`,
    c.to === undefined ? 'redirect' : `to_${toPart}`,
  ])
  const body: HclItem[] = []
  if (ctx.inContainer !== undefined) body.push(attribute('in_container', ref(`container.${ctx.inContainer}`)))
  else body.push(attribute('in_interface', c.inInterface!))
  body.push(attribute('proto', c.proto), attribute('port', c.port))
  if (toValue !== undefined) body.push(attribute('to', toValue))
  if (c.toPort !== c.port) body.push(attribute('to_port', c.toPort))
  const from = c.source === undefined ? undefined : endpointValue(c.source, ctx, notes, 'from')
  if (from) body.push(attribute('from', from.value))
  pinFamily(ctx, [toFamilies, from?.families ?? FAMILIES], body)
  if (c.comment !== undefined) notes.push(`its iptables comment was: ${c.comment}`)
  return {address: `port_forward.${name}`, block: block('port_forward', [name], body), notes}
}

export function masqueradeBlock(c: ConvertedMasquerade, ctx: BlockContext, alloc: LabelAllocator): BuiltBlock {
  const notes = [...c.notes]
  const source = endpointValue(c.source, ctx, notes, 'source')
  const dest = c.destination === undefined ? undefined : endpointValue(c.destination, ctx, notes, 'destination')
  const name = label(alloc, [
    ctx.inContainer,
    ctx.family === 'ipv6' ? 'ipv6' : undefined,
    'masq',
    source.part ?? 'any',
    dest ? `to_${dest.part}` : undefined,
    c.outInterface,
  ])
  const body: HclItem[] = [attribute('source', source.value)]
  if (dest) body.push(attribute('destination', dest.value))
  if (c.outInterface !== undefined) body.push(attribute('out_interface', c.outInterface))
  if (ctx.inContainer !== undefined) body.push(attribute('in_container', ref(`container.${ctx.inContainer}`)))
  pinFamily(ctx, [source.families, dest?.families ?? FAMILIES], body)
  if (c.comment !== undefined) notes.push(`its iptables comment was: ${c.comment}`)
  return {address: `masquerade.${name}`, block: block('masquerade', [name], body), notes}
}
