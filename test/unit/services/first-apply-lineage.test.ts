// The first apply's lineage (issue 15, item 4): it is chosen by the plan and on disk before
// the first host change, so a network created and labelled with it, then cut off before the
// next state save (SIGKILL), is recognised as this state's own by the next plan.
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type Dockerode from 'dockerode'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {DockerReadClient} from '../../../src/docker/client.js'
import {LINEAGE_LABEL} from '../../../src/model/names.js'
import {makePlan, type PlanOptions} from '../../../src/plan/planner.js'
import type {Plan} from '../../../src/plan/types.js'
import {applySession} from '../../../src/services/apply.js'
import {readPlanFile, writePlanFile} from '../../../src/services/planfile.js'
import type {Session} from '../../../src/services/session.js'
import {decodeState} from '../../../src/state/format.js'
import type {Lock} from '../../../src/state/lock.js'
import {actual, dockerHost, dockerNetwork, model, network} from '../plan/builders.js'

const opts: PlanOptions = {mode: 'normal', targets: [], dockwallVersion: '0.0.0-test'}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockwall-lineage-'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

const desired = model({networks: [network('ln', '10.75.1.0/24')]})

function planOf(prior: Parameters<typeof makePlan>[0]['prior'], a = actual({namespaces: [dockerHost()]})): Plan {
  const {plan, errors} = makePlan({model: desired, actual: a, prior}, opts)
  expect(errors).toEqual([])
  return plan
}

/** A session over a stub Docker client; its namespace does not exist, so no iptables could reach this machine. */
function session(statePath: string, createNetwork: (o: Dockerode.NetworkCreateOptions) => Promise<never>): Session {
  const lock: Lock = {
    info: {
      id: 'test',
      pid: process.pid,
      hostname: 'test',
      user: 'test',
      operation: 'apply',
      created: '',
    } as Lock['info'],
    path: `${statePath}.lock`,
    release: () => Promise.resolve(),
    check: () => Promise.resolve(),
    contended: false,
  }
  return {
    model: desired,
    configWarnings: [],
    statePath,
    state: null,
    lock,
    docker: {client: {} as unknown as DockerReadClient, display: 'stub'},
    dockerWriter: () => Promise.resolve({client: {createNetwork} as unknown as Dockerode, display: 'stub'}),
    host: {kind: 'path', path: join(dir, 'no-such-netns')},
    backend: 'auto',
    takeHostSaves: () => undefined,
    takeDockerLists: () => undefined,
    close: () => Promise.resolve(),
  }
}

describe('the lineage of a first apply', () => {
  it('is chosen by the plan when there is no state, and is the prior state’s otherwise', () => {
    const first = planOf(null)
    expect(first.prior.lineage).toBeNull()
    expect(first.lineage).toMatch(UUID)
    expect(planOf(null).lineage).not.toBe(first.lineage)
    const pinned = makePlan(
      {model: desired, actual: actual({namespaces: [dockerHost()]}), prior: null},
      {
        ...opts,
        lineage: '6c1f2a54-0b1e-4d8e-9a57-3f0e2b9c7d11',
      },
    )
    expect(pinned.plan.lineage).toBe('6c1f2a54-0b1e-4d8e-9a57-3f0e2b9c7d11')
    const later = planOf({serial: 4, lineage: 'L', resources: []})
    expect(later.lineage).toBe('L')
  })

  it('travels in a saved plan; a plan saved before it existed gets the prior’s, or a new one', async () => {
    const p = planOf(null)
    const file = join(dir, 'saved.plan')
    await writePlanFile(file, {plan: p, model: desired, statePath: 'state.json'})
    expect((await readPlanFile(file)).plan.lineage).toBe(p.lineage)
    // The same file as an earlier dockwall wrote it: no lineage of its own.
    const raw = JSON.parse(await readFile(file, 'utf8')) as {plan: Partial<Plan>}
    delete raw.plan.lineage
    await writeFile(file, JSON.stringify(raw))
    expect((await readPlanFile(file)).plan.lineage).toMatch(UUID)
    raw.plan.prior = {serial: 3, lineage: 'L'}
    await writeFile(file, JSON.stringify(raw))
    expect((await readPlanFile(file)).plan.lineage).toBe('L')
  })

  it('is on disk before the first network is created: a create cut short is recorded as created, not adopted', async () => {
    const statePath = join(dir, 'state.json')
    const p = planOf(null)
    expect(p.firewall).toEqual([])
    let seen: {label: string | undefined; state: string | null} | undefined
    const s = session(statePath, async (o) => {
      seen = {
        label: o.Labels?.[LINEAGE_LABEL],
        state: await readFile(statePath, 'utf8').catch(() => null),
      }
      // As if dockwall were killed right after Docker made the network: nothing more is saved.
      throw new Error('killed')
    })
    const result = await applySession(s, p, actual({namespaces: [dockerHost()]}), () => {})
    expect(result.failed.map((f) => f.address)).toEqual(['network.ln'])
    // When Docker was asked, the state already named the lineage the network is labelled with.
    expect(seen?.label).toBe(p.lineage)
    expect(seen?.state).not.toBeNull()
    const onDisk = decodeState(seen?.state ?? '', statePath)
    expect(onDisk.lineage).toBe(p.lineage)
    expect(onDisk.resources).toEqual([])
    // The next plan finds the network Docker did make, labelled with that lineage: its own.
    const made = dockerNetwork('ln', '10.75.1.0/24', {labels: {[LINEAGE_LABEL]: p.lineage}})
    const next = planOf(onDisk, actual({networks: [made], namespaces: [dockerHost()]}))
    const net = next.changes.find((c) => c.address === 'network.ln')
    expect(net?.action).toBe('no-op')
    expect(net?.origin).toBe('created')
    // One labelled by another state's dockwall is someone else's: adopted, never destroyed.
    const foreign = dockerNetwork('ln', '10.75.1.0/24', {
      labels: {[LINEAGE_LABEL]: '00000000-0000-4000-8000-000000000000'},
    })
    const other = planOf(onDisk, actual({networks: [foreign], namespaces: [dockerHost()]}))
    expect(other.changes.find((c) => c.address === 'network.ln')?.origin).toBe('adopted')
  })
})
