// `dockwall import --from-networks-json FILE`: network-go's networks.json (format in
// ../shared/seeds/network-go-README.txt) → dockwall HCL.
//
//   networks  {KEY: {network_name, subnet, gateway}}        → network "KEY" (label sanitised)
//   ips       {IP: {ip, container_name, selector, …}}        → container "NAME" { network "X" { ipv4_address } },
//                                                              X being the network whose subnet holds IP
//   policies  [{from, container_name|selector, proto, port}] → rule: forward accept from → the policy's container
//             [{nat: "dnat", iface, to, proto, port}]        → port_forward { in_interface, to }
//             [{nat: "dnat", selector, to, …} without iface] → port_forward { in_container = the policy's container }
//
// Names resolve the way network-go's resolver does, against the ips section only: by
// container_name, then by selector, then by prefix (the name starts a container_name or
// selector, as "web" does for the replicas "web-1" and "web-2"). Anything that cannot be
// converted becomes a problem with its path, never an exception, and is left out of the
// output, so what is written always loads with loadConfig.
import {type ParseError, parseTree, printParseErrorCode} from 'jsonc-parser'

import {LineMap, pathKey} from '../config/source.js'
import {attribute, block, type HclItem, writeHcl} from './hcl-writer.js'
import {PolicyConverter} from './network-go/policies.js'
import {type ConvertOptions, type ConvertProblem, fileSchema, KNOWN_FIELDS, NetworkGoReader} from './network-go/read.js'

export type {ConvertOptions, ConvertProblem} from './network-go/read.js'

export interface ConvertResult {
  hcl: string
  explanations: string[]
  problems: ConvertProblem[]
}

function syntaxProblems(errors: readonly ParseError[], lines: LineMap): ConvertProblem[] {
  const seen = new Set<number>()
  return errors.flatMap((e) => {
    if (seen.has(e.offset)) return []
    seen.add(e.offset)
    return [{path: '', reason: `invalid JSON: ${printParseErrorCode(e.error)}`, ...lines.at(e.offset)}]
  })
}

export function convertNetworksJson(text: string, file: string, opts: ConvertOptions = {}): ConvertResult {
  const lines = new LineMap(text)
  const errors: ParseError[] = []
  const root = parseTree(text, errors, {disallowComments: true, allowTrailingComma: false, allowEmptyContent: false})
  if (errors.length > 0 || !root) return {hcl: '', explanations: [], problems: syntaxProblems(errors, lines)}
  const json: unknown = JSON.parse(text)
  const top = fileSchema.safeParse(json)
  if (!top.success) {
    const where = top.error.issues[0]
    const path = where ? pathKey(where.path.filter((s): s is string | number => typeof s !== 'symbol')) : ''
    return {
      hcl: '',
      explanations: [],
      problems: [
        {
          path,
          reason: `not a networks.json: ${where?.message ?? 'unexpected shape'} (expected {"networks": {…}, "ips": {…}, "policies": […]})`,
          line: 1,
          column: 1,
        },
      ],
    }
  }
  const reader = new NetworkGoReader(root, lines, opts)
  for (const k of Object.keys(top.data))
    if (!KNOWN_FIELDS.file.includes(k)) reader.problem([k], `unknown section "${k}" is ignored`)
  reader.networks(top.data.networks ?? {})
  reader.ips(top.data.ips ?? {})
  const policies = new PolicyConverter(reader)
  policies.policies(top.data.policies ?? [])
  return {hcl: document(file, reader, policies), explanations: reader.explanations, problems: reader.problems}
}

/** The converted file: networks, then containers, then rules and port forwards, in the order read. */
function document(file: string, reader: NetworkGoReader, policies: PolicyConverter): string {
  const netBlocks = reader.nets.map((n) => {
    const body: HclItem[] = []
    if (n.name !== n.label) body.push(attribute('name', n.name))
    body.push(attribute('subnet', n.subnet))
    if (n.gateway !== undefined) body.push(attribute('gateway', n.gateway))
    return block('network', [n.label], body, [`networks["${n.key}"]`])
  })
  const ctrBlocks = reader.ctrs.map((c) => {
    const body: HclItem[] = []
    if (c.name !== c.label) body.push(attribute('name', c.name))
    for (const a of c.attachments) body.push(block('network', [a.net.label], [attribute('ipv4_address', a.ip)]))
    return block('container', [c.label], body, [
      `ips: ${c.attachments.map((a) => a.ip).join(', ') || 'no usable address'}`,
    ])
  })
  const header = [
    `Converted from ${file} (network-go networks.json) by \`dockwall import --from-networks-json\`.`,
    'Names in policies were resolved as network-go does: by container_name, then selector, then prefix, against "ips".',
    "network-go's ESTABLISHED,RELATED accept is dockwall's firewall block (on by default); each DNAT's accept comes with its port_forward.",
    ...(reader.problems.length > 0
      ? [`${reader.problems.length} problem(s) were reported; what they concern is not in this file.`]
      : []),
  ]
  return writeHcl({header, items: [...netBlocks, ...ctrBlocks, ...policies.rules, ...policies.forwards]})
}
