// The formats dockwall writes, byte for byte, on the e2e scenarios: the plan JSON
// (`plan --json`), the saved plan file (`plan --out`), the plan text, the apply
// events, the state file and `show --json` of the state. The inputs are fixed: the
// e2e configurations (fixtures/e2e) and an in-memory host (sim-host.ts) that plays
// the e2e sandbox (dw-web and dw-db on an unmanaged network dw-lan). The story
// follows test/e2e/plan.test.ts, apply.test.ts and import.test.ts: plan on an empty
// host, apply, plan again, drift, refresh-only, --target, deferred containers, a
// network replaced, destroy, adoption of hand-made objects, import blocks.
//
// The expected bytes live in fixtures/golden/ and were written before the refactor
// of issue 17; a refactor must leave them unchanged. After an intended change of a
// format, regenerate them with `UPDATE_GOLDEN=1 npx vitest run --project unit
// test/unit/golden` and review the diff.
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {applyPlan} from '../../../src/apply/engine.js'
import type {ApplyEvent} from '../../../src/apply/events.js'
import {loadConfig} from '../../../src/config/index.js'
import type {StateResource} from '../../../src/model/resources.js'
import type {DesiredModel} from '../../../src/model/types.js'
import {normalizeRuleSpec} from '../../../src/netfilter/index.js'
import {makePlan} from '../../../src/plan/planner.js'
import type {Plan, PlanMode} from '../../../src/plan/types.js'
import {writePlanFile} from '../../../src/services/planfile.js'
import {stateJsonView} from '../../../src/services/show.js'
import {decodeState, encodeState, type State} from '../../../src/state/index.js'
import {planToJson, renderPlanText} from '../../../src/ui/index.js'
import {actual, dockerContainer, dockerHost, namespace} from '../plan/builders.js'
import {SimHost} from './sim-host.js'

const GOLDEN = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'golden')
const UPDATE = process.env.UPDATE_GOLDEN === '1'
const VERSION = '0.0.0-golden'
const LINEAGE = '6c1f2a54-0b1e-4d8e-9a57-3f0e2b9c7d11'
const tmp = mkdtempSync(join(tmpdir(), 'dockwall-golden-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

function golden(name: string, text: string): void {
  const file = join(GOLDEN, name)
  if (UPDATE) {
    mkdirSync(GOLDEN, {recursive: true})
    writeFileSync(file, text)
  }
  const expected = readFileSync(file, 'utf8')
  if (text === expected) return
  // The first difference with some context: these files are long, some are one line.
  let i = 0
  while (text[i] === expected[i]) i++
  const around = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 100), i + 100))
  expect.fail(`${name} differs at byte ${i}:\n  expected ${around(expected)}\n  received ${around(text)}`)
}

async function load(...dirs: string[]): Promise<DesiredModel> {
  // The fixture files merged into one directory, as the e2e tests copy them.
  const merged = join(tmp, `config-${dirs.join('+').replaceAll('/', '_')}`)
  mkdirSync(merged, {recursive: true})
  for (const d of dirs)
    for (const f of ['main.hcl', 'ghost.hcl']) {
      try {
        writeFileSync(join(merged, f), readFileSync(join('fixtures', 'e2e', d, f), 'utf8'))
      } catch {
        // that fixture has no such file
      }
    }
  const result = await loadConfig({path: merged})
  if (!result.model) throw new Error(result.diagnostics.map((d) => d.summary).join('\n'))
  const model = structuredClone(result.model)
  // Positions name the temporary directory: keep only the file name.
  const strip = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(strip)
    else if (v && typeof v === 'object') {
      const o = v as {[k: string]: unknown}
      if (o.at && typeof o.at === 'object' && typeof (o.at as {file?: unknown}).file === 'string') {
        const at = o.at as {file: string}
        at.file = at.file.slice(at.file.lastIndexOf('/') + 1)
      }
      for (const x of Object.values(o)) strip(x)
    }
  }
  strip(model)
  model.files = model.files.map((f) => f.slice(f.lastIndexOf('/') + 1))
  model.settings.statePath = 'dockwall.state.json'
  return model
}

/** The e2e sandbox before anything: dw-web and dw-db run on dw-lan, which dockwall does not manage. */
function sandbox(): SimHost {
  const web = dockerContainer('dw-web', [{network: 'dw-lan', ip: '10.77.9.10', static: true}], {pid: 101})
  const db = dockerContainer('dw-db', [{network: 'dw-lan', ip: '10.77.9.20', static: true}], {pid: 102})
  const host = new SimHost(
    actual({
      networks: [],
      containers: [web, db],
      namespaces: [
        dockerHost(),
        namespace(
          'container.web',
          {},
          {},
          {
            container: {name: 'dw-web', id: web.id, pid: 101},
            routes: [{destination: '10.77.9.0/24', family: 'ipv4', dev: 'eth0'}],
          },
        ),
      ],
    }),
  )
  host.createNetwork('dw-lan', '10.77.9.0/24', '10.77.9.1')
  for (const c of host.actual.docker.containers) for (const e of c.endpoints) e.networkId = host.network('dw-lan')!.id
  return host
}

class Story {
  state: State | null = null
  private serial = 0

  constructor(readonly host: SimHost) {}

  plan(name: string, model: DesiredModel, mode: PlanMode = 'normal', targets: string[] = []): Promise<Plan> {
    const prior = this.state
    const {plan, errors} = makePlan(
      {model, actual: this.host.read(), prior},
      {mode, targets, dockwallVersion: VERSION, normalize: (s) => normalizeRuleSpec(s), lineage: LINEAGE},
    )
    expect(errors).toEqual([])
    return this.record(name, plan, model)
  }

  private async record(name: string, plan: Plan, model: DesiredModel): Promise<Plan> {
    golden(`${name}.plan.json`, `${JSON.stringify(planToJson(plan), null, 2)}\n`)
    golden(`${name}.plan.txt`, renderPlanText(plan, {color: false, width: 80}))
    const file = join(tmp, `${name}.plan`)
    await writePlanFile(file, {plan, model, statePath: 'dockwall.state.json'})
    golden(`${name}.planfile`, readFileSync(file, 'utf8'))
    return plan
  }

  async apply(name: string, plan: Plan): Promise<void> {
    const events: ApplyEvent[] = []
    let saved: Map<string, StateResource> | null = null
    const prior = new Map((this.state?.resources ?? []).map((r) => [r.address, r]))
    const result = await applyPlan(plan, prior, {
      ops: this.host.ops(),
      listener: (e) => events.push(e),
      save: async (resources) => {
        saved = new Map(resources)
      },
      concurrency: 1,
    })
    expect(result.failed).toEqual([])
    const resources: StateResource[] = [...(saved ?? result.resources).values()]
    const text = encodeState({
      version: 1,
      serial: ++this.serial,
      lineage: LINEAGE,
      dockwallVersion: VERSION,
      resources,
    })
    golden(`${name}.state.json`, text)
    this.state = decodeState(text, 'golden')
    // `dockwall show --json` prints the state as read, resources as the file spells them.
    golden(`${name}.show.json`, `${JSON.stringify(stateJsonView(this.state), null, 2)}\n`)
    const stable = events.map((e) => {
      const {elapsedMs: _elapsed, ...rest} = e as ApplyEvent & {elapsedMs?: number}
      return JSON.stringify(rest)
    })
    golden(`${name}.apply.jsonl`, `${stable.join('\n')}\n`)
  }
}

describe('golden formats on the e2e scenarios', () => {
  it('plan, apply, drift, refresh-only, target, deferred, replace and destroy', async () => {
    const every = await load('plan-every-block/config')
    const story = new Story(sandbox())
    await story.plan('every-target', every, 'normal', ['rule.web_to_db'])
    const first = await story.plan('every-create', every)
    await story.apply('every-create', first)
    await story.plan('every-noop', every)

    // Drift made by hand: a rule line deleted, a foreign rule inserted, the route gone, the INPUT jump moved down.
    const h = story.host
    h.removeRule('host', 'filter', 'DOCKWALL-INPUT', 'rule.ssh_from_lan')
    h.addRule('host', 'filter', 'DOCKWALL-FORWARD', '-s 10.1.2.3/32 -j ACCEPT', true)
    const web = h.namespaceOf('container.web')
    web.routes = web.routes!.filter((r) => r.destination !== '10.8.0.0/24')
    h.removeRule('host', 'filter', 'INPUT', 'DOCKWALL-INPUT')
    h.addRule('host', 'filter', 'INPUT', '-m comment --comment "dockwall:jump" -j DOCKWALL-INPUT')
    h.addRule('host', 'filter', 'INPUT', '-i lo -j ACCEPT', true)
    await story.plan('drift-refresh-only', every, 'refresh-only')
    const repair = await story.plan('drift-repair', every)
    await story.apply('drift-repair', repair)

    const ghosts = await load('plan-every-block/config', 'plan-deferred')
    await story.plan('deferred', ghosts)

    // The back network moves to another subnet: the network is replaced, db reconnected, rules rewritten.
    const moved = structuredClone(every)
    const back = moved.networks.find((n) => n.label === 'back')!
    back.subnet = '10.77.3.0/24'
    back.gateway = '10.77.3.1'
    moved.containers.find((c) => c.label === 'db')!.attachments[0]!.ipv4Address = '10.77.3.20'
    const replace = await story.plan('replace', moved)
    await story.apply('replace', replace)

    const destroy = await story.plan('destroy', moved, 'destroy')
    await story.apply('destroy', destroy)
    await story.plan('destroy-after', moved)
  })

  it('adopts what was made by hand, releases it on destroy, and imports foreign rules', async () => {
    const every = await load('plan-every-block/config')
    // The same content made by hand: an apply from scratch on another host, then the state forgotten.
    const made = new Story(sandbox())
    await made.apply('adopt-setup', await made.plan('adopt-setup', every))
    const story = new Story(made.host)
    const adopt = await story.plan('adopt', every)
    await story.apply('adopt', adopt)
    const release = await story.plan('adopt-destroy', every, 'destroy')
    await story.apply('adopt-destroy', release)

    // A network adopted earlier that left the configuration, and a rule imported from DOCKER-USER.
    const host = sandbox()
    host.createNetwork('dw-old', '10.77.7.0/24', '10.77.7.1')
    host.addRule(
      'host',
      'filter',
      'DOCKER-USER',
      '-s 198.18.0.0/24 -d 10.77.9.20/32 -p tcp -m tcp --dport 5432 -j ACCEPT',
      true,
    )
    const imports = new Story(host)
    const start = await imports.plan('import-setup', {
      ...every,
      networks: [
        ...every.networks,
        {
          ...every.networks[0]!,
          address: 'network.old',
          label: 'old',
          name: 'dw-old',
          subnet: '10.77.7.0/24',
          gateway: '10.77.7.1',
        },
      ],
    })
    await imports.apply('import-setup', start)
    const withImport: DesiredModel = {
      ...every,
      rules: [
        ...every.rules,
        {
          address: 'rule.lan_to_db',
          label: 'lan_to_db',
          chain: 'forward',
          from: [{kind: 'cidr', cidr: '198.18.0.0/24', family: 'ipv4'}],
          to: [{kind: 'container', container: 'db'}],
          proto: 'tcp',
          ports: [{from: 5432, to: 5432}],
          action: 'accept',
          priority: 100,
          at: {file: 'main.hcl', line: 1, column: 1},
        },
      ],
      imports: [
        {
          to: 'rule.lan_to_db',
          id: 'DOCKER-USER:-s 198.18.0.0/24 -d 10.77.9.20/32 -p tcp -m tcp --dport 5432 -j ACCEPT',
          at: {file: 'main.hcl', line: 1, column: 1},
        },
      ],
    }
    const both = await imports.plan('import-and-forget', withImport)
    await imports.apply('import-and-forget', both)
    await imports.plan('import-after', withImport)
  })
})
