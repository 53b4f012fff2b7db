// Loads the explain fixtures (fixtures/explain): captured hosts written by
// explain-fixtures.ts, and moby-derived dumps. Shared by the unit tests and the bench.
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {hostFromDumps, type ExplainHost, type NamespaceDump, type Proxy} from '../../src/explain/index.js'

function repoRoot(): string {
  // From source: test/capture/fixture.ts; compiled: build/test/capture/fixture.js.
  for (const up of ['../..', '../../..']) {
    const dir = fileURLToPath(new URL(`${up}/`, import.meta.url))
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'fixtures/explain'))) return dir
  }
  throw new Error('cannot find fixtures/explain from test/capture')
}

export const FIXTURES = join(repoRoot(), 'fixtures/explain')
export interface CapturedMeta {
  source: {engine: string; backend: string}
  dockerBridges: string[]
  proxies: Proxy[]
  containers: Record<string, Record<string, string>>
  namespaces: Array<{
    id: string
    unreadable: Array<'ipv4' | 'ipv6'>
    ip: {link: unknown; addr: unknown; route4: unknown; route6: unknown}
    sysctl: NamespaceDump['sysctl']
  }>
}

/** A fixture written by test/capture/explain-fixtures.ts, as an ExplainHost. */
export function loadCapture(name: string): {host: ExplainHost; meta: CapturedMeta} {
  const dir = join(FIXTURES, name)
  const meta = JSON.parse(readFileSync(join(dir, 'dump.json'), 'utf8')) as CapturedMeta
  const read = (id: string, ext: string, unreadable: boolean): string | null => {
    if (unreadable) return null
    const file = join(dir, `${id}.${ext}`)
    return existsSync(file) ? readFileSync(file, 'utf8') : ''
  }
  const host = hostFromDumps({
    namespaces: meta.namespaces.map((n) => ({
      id: n.id,
      iptables: {
        ipv4: read(n.id, 'iptables', n.unreadable.includes('ipv4')),
        ipv6: read(n.id, 'ip6tables', n.unreadable.includes('ipv6')),
      },
      ip: {
        link: JSON.stringify(n.ip.link),
        addr: JSON.stringify(n.ip.addr),
        route4: JSON.stringify(n.ip.route4),
        route6: JSON.stringify(n.ip.route6),
      },
      sysctl: n.sysctl,
    })),
    proxies: meta.proxies,
    dockerBridges: meta.dockerBridges,
  })
  return {host, meta}
}

export function fixtureText(path: string): string {
  return readFileSync(join(FIXTURES, path), 'utf8')
}
