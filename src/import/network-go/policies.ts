// network-go's policies as dockwall blocks: a policy with "from" becomes a forward
// accept rule to the policy's container, a "dnat" policy a port_forward (on a host
// interface, or inside the container without one). Names resolve through the reader.
import {canonicalCidr, formatCidr, parseCidr, parseIPv4} from '../../config/ipv4.js'
import type {Path} from '../../config/source.js'
import {interfaceNameError} from '../../model/names.js'
import {attribute, block, type HclBlock, type HclItem, type HclValue, ref} from '../hcl-writer.js'
import {LabelAllocator, addressPart} from '../labels.js'
import {KNOWN_FIELDS, policySchema, type NetworkGoReader, type Policy} from './read.js'

export class PolicyConverter {
  readonly rules: HclBlock[] = []
  readonly forwards: HclBlock[] = []
  private readonly ruleLabels = new LabelAllocator()
  private readonly pfLabels = new LabelAllocator()

  constructor(private readonly reader: NetworkGoReader) {}

  policies(raw: readonly unknown[]): void {
    raw.forEach((value, i) => {
      const path = ['policies', i]
      const p = this.reader.entry(policySchema, value, path, KNOWN_FIELDS.policy)
      if (!p) return
      if (p.nat !== undefined && p.nat !== 'dnat')
        this.reader.problem([...path, 'nat'], `nat: "${p.nat}" is not a policy type network-go documents (only "dnat")`)
      else if (p.nat === 'dnat') this.dnat(p, i)
      else if (p.from !== undefined) this.forward(p, i)
      else this.reader.problem(path, 'the policy has neither "from" nor "nat": nothing to convert')
    })
  }

  private proto(p: Policy, path: Path, allowed: readonly string[]): string | undefined {
    const proto = (p.proto ?? 'tcp').toLowerCase()
    if (!allowed.includes(proto)) {
      this.reader.problem([...path, 'proto'], `proto "${p.proto}" is not one of ${allowed.join(', ')}`)
      return undefined
    }
    return proto
  }

  private port(
    v: string | number | undefined,
    path: Path,
    field: string,
    range: boolean,
  ): {text: string; value: HclValue} | undefined | null {
    if (v === undefined) return null
    const m = /^([0-9]+)(?:[-:]([0-9]+))?$/.exec(String(v).trim())
    const a = m ? Number(m[1]) : NaN
    const b = m?.[2] !== undefined ? Number(m[2]) : a
    if (!m || a < 1 || b > 65535 || a > b || (!range && a !== b)) {
      this.reader.problem(
        [...path, field],
        `${field} ${JSON.stringify(v)} is not a ${range ? 'port or port range' : 'port'} (1-65535)`,
      )
      return undefined
    }
    return a === b ? {text: String(a), value: a} : {text: `${a}-${b}`, value: `${a}-${b}`}
  }

  /** A name, IP or CIDR as a rule endpoint. */
  private endpoint(name: string, path: Path): {value: HclValue; text: string} | undefined {
    if (name === 'any' || name === '0.0.0.0/0') return {value: 'any', text: 'any'}
    if (parseIPv4(name) !== undefined) return {value: name, text: name}
    const c = parseCidr(name)
    if (c) {
      if (canonicalCidr(c) !== formatCidr(c)) {
        this.reader.problem(path, `"${name}" has host bits set; did you mean "${canonicalCidr(c)}"?`)
        return undefined
      }
      return {value: name, text: name}
    }
    const r = this.reader.resolve(name)
    if ('error' in r) {
      this.reader.problem(path, r.error)
      return undefined
    }
    const refs = r.containers.map((c) => ref(`container.${c.label}`))
    return {
      value: refs.length === 1 ? refs[0]! : refs,
      text: `${name} (${r.via}: ${r.containers.map((c) => c.name).join(', ')})`,
    }
  }

  private forward(p: Policy, i: number): void {
    const path = ['policies', i]
    const own = this.reader.policyContainer(p, path)
    const targets = own?.containers
    const from = this.endpoint(p.from!, [...path, 'from'])
    const proto = this.proto(p, path, ['tcp', 'udp', 'icmp'])
    const port = this.port(p.port, path, 'port', true)
    if (!targets || !from || !proto || port === undefined) return
    if (port !== null && proto === 'icmp') {
      this.reader.problem([...path, 'port'], 'a port needs proto tcp or udp')
      return
    }
    const toName = p.container_name ?? p.selector!
    const fromPart = from.text === p.from && p.from !== 'any' ? addressPart(p.from) : p.from!
    const label = this.ruleLabels.take(
      [fromPart, 'to', toName, port?.text].filter((x) => x !== undefined).join('_'),
    ).label
    const to =
      targets.length === 1 ? ref(`container.${targets[0]!.label}`) : targets.map((t) => ref(`container.${t.label}`))
    const body: HclItem[] = [attribute('from', from.value), attribute('to', to), attribute('proto', proto)]
    if (port) body.push(attribute('port', port.value))
    if (p.service_name !== undefined) body.push(attribute('description', `network-go policy of ${p.service_name}`))
    const what = `from ${p.from} to ${toName} ${proto}/${port?.text ?? 'all'}`
    this.rules.push(
      block('rule', [label], body, [
        `policies[${i}]: ${what} (network-go: FORWARD/DOCKER-USER ACCEPT)`,
        `from: ${from.text}`,
        `to: ${own!.how}`,
      ]),
    )
    this.reader.explanations.push(`policies[${i}]: ${what} → rule.${label}`)
  }

  private dnat(p: Policy, i: number): void {
    const path = ['policies', i]
    const resolved = this.reader.policyContainer(p, path)
    const own = resolved?.containers
    const proto = this.proto(p, path, ['tcp', 'udp'])
    const port = this.port(p.port, path, 'port', false)
    const toPort = this.port(p.to_port, path, 'to_port', false)
    if (!own || !proto || port === undefined || toPort === undefined) return
    if (port === null) {
      this.reader.problem(path, 'a dnat policy needs a port')
      return
    }
    let target = own
    let toHow = `the policy's container, ${resolved!.how}`
    if (p.to !== undefined) {
      const r = this.reader.resolve(p.to)
      if ('error' in r) {
        this.reader.problem([...path, 'to'], r.error)
        return
      }
      target = r.containers
      toHow = `${p.to} (${r.via}: ${r.containers.map((c) => c.name).join(', ')})`
    }
    if (target.length !== 1) {
      this.reader.problem(
        [...path, p.to !== undefined ? 'to' : 'selector'],
        `"${p.to ?? p.selector}" matches ${target.length} containers (${target.map((c) => c.name).join(', ')}); a port forward sends to one`,
      )
      return
    }
    const dest = target[0]!
    const body: HclItem[] = []
    let where: string
    if (p.iface !== undefined) {
      const bad = interfaceNameError(p.iface, {wildcard: true})
      if (bad) {
        this.reader.problem([...path, 'iface'], `iface "${p.iface}": ${bad}`)
        return
      }
      body.push(attribute('in_interface', p.iface))
      where = `on ${p.iface}`
    } else {
      if (own.length !== 1) {
        this.reader.problem(
          path,
          `the policy's container matches ${own.length} containers (${own.map((c) => c.name).join(', ')}); a DNAT inside a container needs one`,
        )
        return
      }
      body.push(attribute('in_container', ref(`container.${own[0]!.label}`)))
      where = `inside ${own[0]!.name}`
    }
    body.push(attribute('proto', proto), attribute('port', port.value))
    const self = p.iface === undefined && dest === own[0]
    if (!self) body.push(attribute('to', ref(`container.${dest.label}`)))
    if (toPort && toPort.text !== port.text) body.push(attribute('to_port', toPort.value))
    const label = this.pfLabels.take(
      p.name ?? [p.iface ?? own[0]!.name, `${proto}${port.text}`, 'to', dest.name].join('_'),
    ).label
    const what = `dnat ${where} ${proto}/${port.text} to ${self ? 'itself' : dest.name}${toPort && toPort.text !== port.text ? `:${toPort.text}` : ''}`
    this.forwards.push(
      block('port_forward', [label], body, [
        `policies[${i}]: ${what} (network-go: nat PREROUTING DNAT${p.iface === undefined ? ' inside the container' : ''})`,
        `to: ${toHow}`,
      ]),
    )
    this.reader.explanations.push(`policies[${i}]: ${what} → port_forward.${label}`)
  }
}
