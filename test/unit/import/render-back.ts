// Renders what the rule converter produced through the planner's own renderer
// (src/plan/firewall.ts), so tests can check it writes back the line it came from.
import type {Endpoint, MasqueradeSpec, PortForwardSpec, RuleSpec} from '../../../src/model/types.js'
import {normalizeRuleSpec, parseRuleArgs, tokenize, writeRuleArgs} from '../../../src/netfilter/index.js'
import {renderMasquerade, renderPortForward, renderRule} from '../../../src/plan/firewall.js'
import type {Resolution} from '../../../src/plan/resolve.js'
import type {RuleConversion} from '../../../src/import/rule-convert.js'

const at = {file: 'test.hcl', line: 1, column: 1}
const SELF = 'self'

/** A rule's arguments in normal form without its `-m comment` match (dockwall writes its own). */
export function withoutComment(spec: string): string {
  const args = parseRuleArgs(tokenize(spec))
  return normalizeRuleSpec(
    writeRuleArgs({
      matches: args.matches.filter((m) => m.kind !== 'module' || m.name !== 'comment'),
      target: args.target,
    }),
  )
}

function resolution(inContainer: boolean): Resolution {
  const containers: Resolution['containers'] = new Map()
  if (inContainer) {
    containers.set(SELF, {
      spec: {address: `container.${SELF}`, label: SELF, name: SELF, attachments: [], routes: [], at},
      docker: {id: 'x'.repeat(64), name: SELF, status: 'running', pid: 1, endpoints: [], labels: {}, inspected: true},
      addresses: {ipv4: ['172.18.0.9'], ipv6: []},
      running: true,
      pid: 1,
    })
  }
  return {containers, networks: new Map(), unreadable: new Map(), rawOpenings: false, bridges: []}
}

const endpoint = (cidr: string | undefined): Endpoint =>
  cidr === undefined ? {kind: 'any'} : {kind: 'cidr', cidr, family: cidr.includes(':') ? 'ipv6' : 'ipv4'}

/** The lines dockwall would write for the conversion (nat line first for a port forward), comment removed. */
export function renderBack(c: RuleConversion, inContainer: boolean): string[] {
  const res = resolution(inContainer)
  const ns = inContainer ? {inContainer: SELF} : {}
  let lines: Array<{spec: string}>
  if (c.kind === 'rule') {
    const spec: RuleSpec = {
      address: 'rule.t',
      label: 't',
      chain: c.chain,
      from: [endpoint(c.source)],
      to: [endpoint(c.destination)],
      proto: c.proto,
      ports: c.ports,
      action: c.action,
      priority: 100,
      ...(c.inInterface ? {inInterface: c.inInterface} : {}),
      ...(c.outInterface ? {outInterface: c.outInterface} : {}),
      ...ns,
      at,
    }
    lines = renderRule(spec, res).lines
  } else if (c.kind === 'port_forward') {
    const spec: PortForwardSpec = {
      address: 'port_forward.t',
      label: 't',
      proto: c.proto,
      port: c.port,
      toPort: c.toPort,
      from: [endpoint(c.source)],
      to:
        c.to === undefined ? {kind: 'container', container: SELF} : {kind: 'cidr', cidr: `${c.to}/32`, family: 'ipv4'},
      ...(c.inInterface ? {inInterface: c.inInterface} : {}),
      ...ns,
      at,
    }
    lines = renderPortForward(spec, res).lines
  } else if (c.kind === 'masquerade') {
    const spec: MasqueradeSpec = {
      address: 'masquerade.t',
      label: 't',
      source: endpoint(c.source),
      ...(c.destination ? {destination: endpoint(c.destination)} : {}),
      ...(c.outInterface ? {outInterface: c.outInterface} : {}),
      ...ns,
      at,
    }
    lines = renderMasquerade(spec, res).lines
  } else throw new Error(`nothing to render for ${c.kind}`)
  return lines.map((l) => withoutComment(l.spec))
}
