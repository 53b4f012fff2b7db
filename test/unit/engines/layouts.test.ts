// Docker's iptables layouts from 20.10 to 29, read by refresh, show --actual, import
// and the planner (issue 12, item 3). Fixtures (fixtures/engine-layouts, see SOURCES.md):
// real dumps captured from sandboxes of Docker 20.10, 26.1 and 28.5 (two networks, one
// internal, a published port), and Docker 29's layouts derived from moby's generated
// descriptions (no isolation chains, DOCKER-INTERNAL, no nat RETURN lines).
import {readdirSync, readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import type {DockerNetwork} from '../../../src/docker/types.js'
import {generateConfig} from '../../../src/import/generate.js'
import type {PriorState, StateResource} from '../../../src/model/resources.js'
import {summarizeSave, decideBackend} from '../../../src/netfilter/index.js'
import {recordChange} from '../../../src/apply/record.js'
import {makePlan} from '../../../src/plan/planner.js'
import type {Plan} from '../../../src/plan/types.js'
import {readTables} from '../../../src/refresh/tables.js'
import type {ActualModel, ActualNamespace} from '../../../src/refresh/types.js'
import {actualToJson} from '../../../src/ui/index.js'
import {cidr, model, network, rule} from '../plan/builders.js'
import {applyTransactions} from '../plan/simulate.js'

const ROOT = new URL('../../../fixtures/engine-layouts/', import.meta.url)

interface FixtureNetwork {
  name: string
  bridge: string
  subnet: string
  internal: boolean
  options: Record<string, string>
  id?: string
}

interface Layout {
  name: string
  /** The engine version the layout is Docker's for. */
  version: string
  save: string
  networks: FixtureNetwork[]
}

function load(dir: string, version?: string): Layout {
  const meta = JSON.parse(readFileSync(new URL(`${dir}/networks.json`, ROOT), 'utf8')) as {
    engine: string
    networks: FixtureNetwork[]
  }
  return {
    name: dir,
    version: version ?? meta.engine,
    save: readFileSync(new URL(`${dir}/iptables-save.txt`, ROOT), 'utf8'),
    networks: meta.networks,
  }
}

const REAL = ['docker-20.10', 'docker-26.1', 'docker-28.5'].map((d) => load(d))
const MOBY29 = readdirSync(new URL('moby-29/', ROOT), {withFileTypes: true})
  .filter((e) => e.isDirectory())
  .map((e) => load(`moby-29/${e.name}`, '29.0.0'))
/** The moby descriptions that show a whole host (filter and nat at least). */
const WHOLE29 = MOBY29.filter((l) => l.save.includes('*filter') && l.save.includes('*nat'))

function dockerNetworks(l: Layout): DockerNetwork[] {
  return l.networks.map((n, i) => ({
    id: n.id ?? `${String(i).padStart(12, '0')}${'f'.repeat(52)}`,
    name: n.name,
    driver: 'bridge',
    scope: 'local',
    internal: n.internal,
    subnets: [{subnet: n.subnet}],
    enableIPv6: false,
    subnets6: [],
    labels: {},
    // The bridge's name, as Docker reports it for docker0 and named bridges.
    options: n.bridge.startsWith('br-') ? n.options : {'com.docker.network.bridge.name': n.bridge, ...n.options},
  }))
}

function host(save: string): ActualNamespace {
  return {key: 'host', backend: 'nft', backendReason: 'test', tables: readTables(save)}
}

function actualOf(l: Layout, save = l.save): ActualModel {
  return {
    docker: {engine: {version: l.version, apiVersion: '1.51'}, networks: dockerNetworks(l), containers: []},
    namespaces: [host(save)],
    unreadable: [],
  }
}

/** Every `-A` line of the chains show --actual and import watch. */
function watchedLines(save: string): number {
  const watched = new Set([
    'filter INPUT',
    'filter FORWARD',
    'filter OUTPUT',
    'filter DOCKER-USER',
    'nat PREROUTING',
    'nat POSTROUTING',
    'raw PREROUTING',
  ])
  let table = ''
  let n = 0
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1)
    const m = /^-A (\S+) /.exec(line)
    if (m && watched.has(`${table} ${m[1]}`)) n++
  }
  return n
}

describe.each([...REAL, ...MOBY29])('Docker layout $name', (l) => {
  const a = actualOf(l)

  it('show --actual attributes every line of the watched chains to Docker, none to anyone else', () => {
    const view = actualToJson(a).namespaces[0]!
    expect(view.foreign_rules).toEqual([])
    expect(view.jumps).toEqual([])
    expect(view.docker_rules).toHaveLength(watchedLines(l.save))
  })

  it('import --all finds nothing to import and nothing it must leave with a reason', () => {
    const r = generateConfig(a)
    expect(r.unsupported).toEqual([])
    expect(r.imports.filter((i) => !i.to.startsWith('network.'))).toEqual([])
  })
})

describe.each([...REAL, ...WHOLE29])('dockwall on Docker layout $name', (l) => {
  const a = actualOf(l)
  const user = l.networks.find((n) => n.name !== 'bridge') ?? l.networks[0]!
  const desired = model({
    rules: [
      rule('vpn_to_net', {
        from: [cidr('198.18.0.0/24')],
        to: [cidr(user.subnet)],
        proto: 'tcp',
        ports: [{from: 80, to: 80}],
      }),
    ],
  })
  const hasRaw = Number(l.version.split('.')[0]) >= 28

  it("is read as Docker's: its chains decide the backend", () => {
    const summary = summarizeSave(l.save)
    expect(summary.dockerChains).toContain('DOCKER')
    const choice = decideBackend({
      nft: {available: true, ...summary},
      legacy: {available: true, rules: 0, dockerChains: [], tables: []},
    })
    expect(choice.backend).toBe('nft')
  })

  function planOn(actual: ActualModel, prior: PriorState | null = null): Plan {
    const {plan, errors} = makePlan(
      {model: desired, actual, prior},
      {mode: 'normal', targets: [], dockwallVersion: 't'},
    )
    expect(errors).toEqual([])
    return plan
  }
  /** iptables-restore creates a table it is given: the simulation needs it to exist. */
  function withRaw(actual: ActualModel): ActualModel {
    const out = structuredClone(actual)
    out.namespaces[0]!.tables.raw ??= {
      name: 'raw',
      chains: [
        {name: 'PREROUTING', policy: 'ACCEPT', rules: []},
        {name: 'OUTPUT', policy: 'ACCEPT', rules: []},
      ],
    }
    return out
  }
  function stateOf(p: Plan): PriorState {
    const m = new Map<string, StateResource>()
    for (const c of p.changes) recordChange(m, c, {ids: {}})
    return {serial: 1, lineage: 'L', resources: [...m.values()]}
  }

  it('jumps from the top of DOCKER-USER, and from raw PREROUTING only where Docker drops there', () => {
    const p = planOn(a)
    const filter = p.firewall.find((t) => t.table === 'filter')!
    expect(filter.input).toContain('-I DOCKER-USER 1 -m comment --comment "dockwall:jump" -j DOCKWALL-FORWARD')
    expect(p.firewall.map((t) => t.table)).toEqual(hasRaw ? ['filter', 'raw'] : ['filter'])
  })

  it('applied, plans no change; its jump moved down (Docker restarted) is drift, and is put back on top', () => {
    const p = planOn(a)
    const applied = applyTransactions(withRaw(a), p)
    const state = stateOf(p)
    expect(planOn(applied, state).firewall).toEqual([])
    // Docker re-inserts its FORWARD jumps and appends to DOCKER-USER on a restart; a firewall
    // reload may put a rule above ours: either way ours is no longer first.
    const moved = structuredClone(applied)
    const dockerUser = moved.namespaces[0]!.tables.filter!.chains.find((c) => c.name === 'DOCKER-USER')!
    dockerUser.rules.unshift({spec: '-s 192.0.2.99/32 -j DROP', target: 'DROP'})
    const q = planOn(moved, state)
    expect(q.drift.map((d) => d.kind)).toEqual(['jump-missing'])
    expect(
      applyTransactions(moved, q).namespaces[0]!.tables.filter!.chains.find((c) => c.name === 'DOCKER-USER')!.rules[0]!
        .spec,
    ).toBe('-m comment --comment "dockwall:jump" -j DOCKWALL-FORWARD')
  })

  it('show --actual then tells dockwall, Docker and others apart', () => {
    const applied = applyTransactions(withRaw(a), planOn(a))
    const view = actualToJson(applied).namespaces[0]!
    expect(view.jumps.map((j) => `${j.table} ${j.from}#${j.position} ${j.to}`)).toEqual([
      'filter DOCKER-USER#0 DOCKWALL-FORWARD',
      ...(hasRaw ? ['raw PREROUTING#0 DOCKWALL-PREROUTING'] : []),
    ])
    expect(view.foreign_rules).toEqual([])
    expect(view.docker_rules).toHaveLength(watchedLines(l.save))
  })
})

describe("Docker 29's layout specifically", () => {
  const portmap = MOBY29.find((l) => l.name.endsWith('usernet-portmap'))!

  it('has no isolation chains, has DOCKER-INTERNAL, no nat RETURN lines, and DOCKER-USER without RETURN', () => {
    expect(portmap.save).not.toContain('DOCKER-ISOLATION')
    expect(portmap.save).toContain(':DOCKER-INTERNAL - [0:0]')
    expect(portmap.save).not.toMatch(/-A DOCKER -i \S+ -j RETURN/)
    expect(portmap.save).not.toContain('-A DOCKER-USER')
    const tables = readTables(portmap.save)
    expect(tables.filter!.chains.find((c) => c.name === 'DOCKER-USER')!.rules).toEqual([])
  })

  it("raw PREROUTING's drop is Docker's, and calls for openings even if the version were unknown", () => {
    const a = actualOf({...portmap, version: ''})
    const view = actualToJson(a).namespaces[0]!
    expect(view.docker_rules.filter((d) => d.table === 'raw').map((d) => d.spec)).toEqual([
      '-d 192.0.2.2/32 ! -i bridge1 -j DROP',
    ])
    const {plan} = makePlan(
      {
        model: model({
          networks: [network('bridge1', '192.0.2.0/24', {options: {'com.docker.network.bridge.name': 'bridge1'}})],
          rules: [rule('in', {from: [cidr('198.18.0.0/24')], to: [cidr('192.0.2.2')]})],
        }),
        actual: a,
        prior: null,
      },
      {mode: 'normal', targets: [], dockwallVersion: 't'},
    )
    expect(plan.firewall.map((t) => t.table)).toEqual(['filter', 'raw'])
  })
})
