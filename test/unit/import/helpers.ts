// Builders for import tests: an ActualModel from iptables-save dumps and a small
// Docker snapshot, the way refresh would make it.
import {readFileSync} from 'node:fs'

import type {DockerContainer, DockerNetwork, DockerSnapshot} from '../../../src/docker/types.js'
import {parseRule, parseRuleset, type Rule} from '../../../src/netfilter/index.js'
import type {NamespaceKey} from '../../../src/model/resources.js'
import {toActualTables} from '../../../src/refresh/namespace.js'
import type {ActualModel, ActualNamespace} from '../../../src/refresh/types.js'

export function namespaceFrom(
  key: NamespaceKey,
  dump: string,
  container?: {name: string; id: string; pid: number},
): ActualNamespace {
  return {
    key,
    backend: 'nft',
    backendReason: 'test',
    tables: toActualTables(parseRuleset(dump)),
    ...(container ? {container} : {}),
  }
}

export function fixture(path: string): string {
  return readFileSync(new URL(`../../../fixtures/${path}`, import.meta.url), 'utf8')
}

export function net(name: string, id: string, subnet: string, extra: Partial<DockerNetwork> = {}): DockerNetwork {
  return {
    id,
    name,
    driver: 'bridge',
    scope: 'local',
    internal: false,
    subnets: [{subnet, gateway: subnet.replace(/0\/\d+$/, '1')}],
    enableIPv6: false,
    subnets6: [],
    labels: {},
    options: {},
    ...extra,
  }
}

export interface EndpointSpec {
  network: DockerNetwork
  ip: string
  static?: boolean
  aliases?: string[]
}

export function ctr(name: string, endpoints: EndpointSpec[], extra: Partial<DockerContainer> = {}): DockerContainer {
  const id = `${Buffer.from(name).toString('hex').padEnd(64, '0').slice(0, 64)}`
  return {
    id,
    name,
    status: 'running',
    pid: 100 + name.length,
    endpoints: endpoints.map((e) => ({
      networkId: e.network.id,
      networkName: e.network.name,
      ipv4Address: e.ip,
      ...(e.static ? {staticIpv4Address: e.ip} : {}),
      aliases: [id.slice(0, 12), ...(e.aliases ?? [])],
    })),
    labels: {},
    inspected: true,
    ...extra,
  }
}

export function snapshot(networks: DockerNetwork[], containers: DockerContainer[]): DockerSnapshot {
  const defaults = [
    net('bridge', 'b'.repeat(64), '172.17.0.0/16', {options: {'com.docker.network.bridge.name': 'docker0'}}),
    net('host', 'h'.repeat(64), '', {driver: 'host', subnets: []}),
    net('none', 'n'.repeat(64), '', {driver: 'null', subnets: []}),
  ]
  return {engine: {version: '20.10.24', apiVersion: '1.41'}, networks: [...defaults, ...networks], containers}
}

export function model(docker: DockerSnapshot, namespaces: ActualNamespace[]): ActualModel {
  return {docker, namespaces, unreadable: []}
}

/** One rule line as the converter sees it: `-A CHAIN args` of `table`. */
export function rule(table: string, line: string): Rule {
  return parseRule(line, table)
}

// The sandbox-like host of fixtures/import/generate-sandbox.
export const frontend = net('frontend', `${'a'.repeat(12)}${'1'.repeat(52)}`, '172.18.103.0/24', {
  labels: {team: 'web'},
})
export const backend = net('smarthost_backend-1', `${'b'.repeat(12)}${'2'.repeat(52)}`, '172.18.104.0/24', {
  internal: true,
})
export const lb = ctr('smarthost_loadbalancer', [
  {network: frontend, ip: '172.18.103.2', static: true, aliases: ['lb']},
])
export const backend1 = ctr('backend-1', [{network: backend, ip: '172.18.104.2', static: true}])
export const web = ctr('web', [{network: frontend, ip: '172.18.103.5'}])

export function sandboxModel(): ActualModel {
  const docker = snapshot([frontend, backend], [lb, backend1, web])
  return model(docker, [
    namespaceFrom('host', fixture('import/generate-sandbox/host.iptables')),
    namespaceFrom('container.lb', fixture('import/generate-sandbox/lb.iptables'), {
      name: lb.name,
      id: lb.id,
      pid: lb.pid!,
    }),
  ])
}

const BUILTIN: Record<string, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
}

/**
 * An iptables-save dump from chains written as rule arguments. Built-in chains get the
 * policy in `policies` (default ACCEPT) even when not listed; user chains `-`.
 */
export function dump(tables: Record<string, Record<string, string[]>>, policies: Record<string, string> = {}): string {
  const out: string[] = []
  for (const [table, chains] of Object.entries(tables)) {
    out.push(`*${table}`)
    const builtin = BUILTIN[table] ?? []
    const names = [...builtin, ...Object.keys(chains).filter((c) => !builtin.includes(c))]
    for (const name of names) out.push(`:${name} ${builtin.includes(name) ? (policies[name] ?? 'ACCEPT') : '-'} [0:0]`)
    for (const [name, rules] of Object.entries(chains)) for (const r of rules) out.push(`-A ${name} ${r}`)
    out.push('COMMIT')
  }
  return `${out.join('\n')}\n`
}
