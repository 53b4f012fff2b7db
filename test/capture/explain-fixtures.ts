// Captures the explain fixtures: a sandbox engine with the typical topology
// (scenario.ts), an external client on dwext0, then every namespace's dumps, written
// to fixtures/explain/docker-<major.minor>-<backend>/. Needs root.
//
//   npm run build:tools && node build/test/capture/explain-fixtures.js --engine system --backend nft
//   (--engine system|trixie|<other engines test/sandbox knows>; --out DIR, default fixtures/explain)
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import type {Backend, EngineName} from '../sandbox/index.js'
import {Sandbox} from '../sandbox/index.js'
import {readSandboxHost} from './read-host.js'
import {buildTypical} from './scenario.js'

function args(): {engine: EngineName; backend: Backend; out: string} {
  const a = process.argv.slice(2)
  const get = (name: string, dflt?: string): string => {
    const i = a.indexOf(name)
    const v = i >= 0 ? a[i + 1] : dflt
    if (v === undefined) throw new Error(`${name} is required`)
    return v
  }
  const backend = get('--backend')
  if (backend !== 'nft' && backend !== 'legacy') throw new Error('--backend nft|legacy')
  return {engine: get('--engine', 'system') as EngineName, backend, out: get('--out', 'fixtures/explain')}
}

/** File name of a namespace's dump: `host.iptables`, `container.web.ip6tables`. */
export function dumpFile(id: string, family: 'ipv4' | 'ipv6'): string {
  return `${id}.${family === 'ipv4' ? 'iptables' : 'ip6tables'}`
}

/** The fields the evaluator reads of `ip -j` output (the rest is noise in a fixture). */
function pick(json: string, keys: readonly string[]): Array<Record<string, unknown>> {
  const rows = JSON.parse(json || '[]') as Array<Record<string, unknown>>
  return rows.map((r) => Object.fromEntries(keys.filter((k) => r[k] !== undefined).map((k) => [k, r[k]])))
}

async function main(): Promise<void> {
  const {engine, backend, out} = args()
  const sb = await Sandbox.start({backend, engine})
  try {
    await buildTypical(sb)
    const client = await sb.addExternalClient()
    const dump = await readSandboxHost(sb, [client])
    const [major, minor] = sb.engine.version.split('.')
    const dir = join(out, `docker-${major}.${minor}-${backend}`)
    mkdirSync(dir, {recursive: true})
    const meta = {
      source: {
        engine: `${sb.engine.name} ${sb.engine.version}`,
        backend,
        scenario: 'typical (test/capture/scenario.ts) plus an external client on dwext0 (198.18.0.2)',
        captured: new Date().toISOString().slice(0, 10),
      },
      dockerBridges: dump.dockerBridges,
      proxies: dump.proxies,
      containers: dump.containers,
      namespaces: dump.namespaces.map((n) => {
        for (const family of ['ipv4', 'ipv6'] as const) {
          const text = n.iptables[family]
          if (text !== null) writeFileSync(join(dir, dumpFile(n.id, family)), text)
        }
        return {
          id: n.id,
          unreadable: (['ipv4', 'ipv6'] as const).filter((f) => n.iptables[f] === null),
          ip: {
            link: pick(n.ip.link, [
              'ifindex',
              'ifname',
              'link',
              'link_index',
              'link_netnsid',
              'master',
              'linkinfo',
            ]).map((l) => ({
              ...l,
              ...(l.linkinfo ? {linkinfo: {info_kind: (l.linkinfo as {info_kind?: string}).info_kind}} : {}),
            })),
            addr: pick(n.ip.addr, ['ifname', 'addr_info']).map((a) => ({
              ...a,
              addr_info: ((a.addr_info ?? []) as Array<Record<string, unknown>>).map((i) => ({
                family: i.family,
                local: i.local,
                prefixlen: i.prefixlen,
                scope: i.scope,
              })),
            })),
            route4: JSON.parse(n.ip.route4 || '[]') as unknown,
            route6: JSON.parse(n.ip.route6 || '[]') as unknown,
          },
          sysctl: n.sysctl,
        }
      }),
    }
    writeFileSync(join(dir, 'dump.json'), `${JSON.stringify(meta, null, 1)}\n`)
    console.log(
      `wrote ${dir} (${dump.namespaces.length} namespaces, ${sb.engine.name} ${sb.engine.version}, ${backend})`,
    )
  } finally {
    await sb.stop()
  }
}

await main()
