// refresh (src/refresh/refresh.ts) with a stubbed dockerode and a stubbed namespace
// reader: which container namespaces it enters, and what happens when a container
// stops, disappears between the list call and its inspect, or exits between its
// inspect and the nsenter. None of them is a crash; the planner then defers what
// cannot be done.
import type Dockerode from 'dockerode'
import {beforeEach, describe, expect, it, vi} from 'vitest'

import type {DockerConnection} from '../../../src/docker/client.js'
import {makePlan} from '../../../src/plan/planner.js'
import type {NamespaceRead} from '../../../src/refresh/namespace.js'
import {refresh} from '../../../src/refresh/refresh.js'
import type {NetnsTarget} from '../../../src/util/exec.js'
import {actualToJson} from '../../../src/ui/index.js'
import {container, model, rule} from '../plan/builders.js'

const reads: NetnsTarget[] = []
/** The saves each read was handed (readNamespace's fourth argument), by target. */
const handed = new Map<string, unknown>()
/** PIDs whose process is gone by the time nsenter runs. */
const dying = new Set<number>()

vi.mock('../../../src/refresh/namespace.js', () => ({
  readNamespace: async (target: NetnsTarget, _s: unknown, _o: unknown, saves?: unknown): Promise<NamespaceRead> => {
    reads.push(target)
    handed.set(JSON.stringify(target), saves)
    if (target.kind === 'pid' && dying.has(target.pid)) {
      throw new Error(
        `nsenter -t ${target.pid} -n -- iptables-nft-save: exit code 1: nsenter: cannot open /proc/${target.pid}/ns/net: No such file or directory\nmore`,
      )
    }
    return {
      backend: 'nft',
      reason: 'nft: stub',
      tables: {filter: {name: 'filter', chains: [{name: 'INPUT', policy: 'ACCEPT', rules: []}]}},
      saves: {nft: '', legacy: ''},
    }
  },
}))
vi.mock('../../../src/refresh/routes.js', () => ({readRoutes: async () => []}))

interface Stub {
  name: string
  /** State in the list call. */
  listed: 'running' | 'exited'
  /** What inspect says afterwards. */
  inspected: 'running' | 'exited' | 'gone'
  pid: number
}

function docker(containers: Stub[]): DockerConnection {
  const client = {
    version: async () => ({Version: '20.10.24', ApiVersion: '1.41'}),
    info: async () => ({}),
    listNetworks: async () => [],
    listContainers: async () =>
      containers.map((c) => ({
        Id: `id-${c.name}`,
        Names: [`/${c.name}`],
        State: c.listed,
        Labels: {},
        NetworkSettings: {Networks: {}},
      })),
    getContainer: (id: string) => ({
      inspect: async () => {
        const c = containers.find((x) => `id-${x.name}` === id)
        if (!c || c.inspected === 'gone') throw Object.assign(new Error('no such container'), {statusCode: 404})
        const running = c.inspected === 'running'
        return {
          Id: id,
          Name: `/${c.name}`,
          State: {Status: c.inspected, Running: running, Pid: running ? c.pid : 0},
          Config: {Labels: {}},
          NetworkSettings: {Networks: {}},
        }
      },
    }),
  }
  return {client: client as unknown as Dockerode, display: 'unix:///run/stub.sock'}
}

// One rule inside each container's namespace: refresh must read each of them.
const desired = model({
  containers: ['up', 'stopped', 'vanished', 'dying', 'missing'].map((l) => container(l, [], [], `c-${l}`)),
  rules: ['up', 'stopped', 'vanished', 'dying', 'missing'].map((l) =>
    rule(`in_${l}`, {chain: 'input', inContainer: l, proto: 'tcp', ports: [{from: 80, to: 80}]}),
  ),
})

const containers: Stub[] = [
  {name: 'c-up', listed: 'running', inspected: 'running', pid: 100},
  // Running in the list call, exited by the time of its inspect.
  {name: 'c-stopped', listed: 'running', inspected: 'exited', pid: 0},
  // Removed between the list call and its inspect.
  {name: 'c-vanished', listed: 'running', inspected: 'gone', pid: 0},
  // Inspect still saw it running; its process exited before nsenter.
  {name: 'c-dying', listed: 'running', inspected: 'running', pid: 400},
  // c-missing does not exist at all.
]

describe('refresh', () => {
  beforeEach(() => {
    reads.length = 0
    handed.clear()
    dying.clear()
    dying.add(400)
  })

  it('reads the host and the running containers, and reports the rest as they are, without failing', async () => {
    const {actual, diagnostics} = await refresh({
      docker: docker(containers),
      host: {kind: 'current'},
      backend: 'auto',
      model: desired,
      prior: null,
    })

    expect(reads).toEqual(expect.arrayContaining([{kind: 'current'}, {kind: 'pid', pid: 100}, {kind: 'pid', pid: 400}]))
    expect(reads).toHaveLength(3)
    expect(diagnostics).toEqual([])
    expect(actual.docker.containers.map((c) => [c.name, c.status, c.pid ?? null])).toEqual([
      ['c-dying', 'running', 400],
      ['c-stopped', 'exited', null],
      ['c-up', 'running', 100],
      ['c-vanished', 'gone', null],
    ])
    expect(actual.namespaces.map((n) => n.key)).toEqual(['host', 'container.up'])
    // The one that died under our feet: its namespace is unreadable, with the first line of why.
    expect(actual.unreadable).toEqual([
      {
        key: 'container.dying',
        reason:
          'nsenter -t 400 -n -- iptables-nft-save: exit code 1: nsenter: cannot open /proc/400/ns/net: No such file or directory',
      },
    ])
    // show --actual prints it all.
    const json = actualToJson(actual)
    expect(json.docker.containers.find((c) => c.name === 'c-vanished')).toMatchObject({
      status: 'gone',
      pid: null,
      endpoints: [],
    })
    expect(json.unreadable).toEqual(actual.unreadable)
  })

  it("hands the host's saves a session started early to the host's read, and to no container's", async () => {
    const early = Promise.resolve({backend: 'nft' as const, reason: 'nft: stub', v4: {nft: ''}})
    await refresh({
      docker: docker(containers),
      host: {kind: 'current'},
      backend: 'auto',
      model: desired,
      prior: null,
      hostSaves: early,
    })
    expect(handed.get(JSON.stringify({kind: 'current'}))).toBe(early)
    expect(handed.get(JSON.stringify({kind: 'pid', pid: 100}))).toBeUndefined()
    expect(handed.get(JSON.stringify({kind: 'pid', pid: 400}))).toBeUndefined()
  })

  it('lets the planner defer what needs a container that is stopped, gone or missing', async () => {
    const {actual} = await refresh({
      docker: docker(containers),
      host: {kind: 'current'},
      backend: 'auto',
      model: desired,
      prior: null,
    })
    const {plan, errors} = makePlan(
      {model: desired, actual, prior: null},
      {mode: 'normal', targets: [], dockwallVersion: 'test'},
    )
    expect(errors).toEqual([])
    const byAddress = Object.fromEntries(
      plan.changes.filter((c) => c.type === 'rule').map((c) => [c.address, [c.action, c.reasons[0]]]),
    )
    expect(byAddress).toEqual({
      'rule.in_dying': [
        'deferred',
        expect.stringMatching(/^container\.dying's namespace could not be read \(nsenter -t 400/),
      ],
      'rule.in_missing': ['deferred', 'container.missing does not exist yet'],
      'rule.in_stopped': ['deferred', 'container.stopped is not running (exited)'],
      'rule.in_up': ['create', undefined],
      'rule.in_vanished': ['deferred', 'container.vanished does not exist yet'],
    })
    // The unread namespace is deferred like a stopped container, and the plan says why.
    expect(plan.warnings.map((w) => w.summary)).toEqual([
      expect.stringMatching(/^could not read the container\.dying namespace: nsenter -t 400/),
    ])
  })
})
