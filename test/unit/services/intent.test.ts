// The intent check (issue 15, item 6): an empty configuration over a managed host is refused.
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadConfig} from '../../../src/config/index.js'
import {AbortError} from '../../../src/errors.js'
import type {PriorState, StateResource} from '../../../src/model/resources.js'
import type {DesiredModel} from '../../../src/model/types.js'
import {checkIntent, declaresNothing, managedResources} from '../../../src/services/plan.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockwall-intent-'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

async function model(text: string, name = 'main.hcl'): Promise<DesiredModel> {
  await writeFile(join(dir, name), text)
  const r = await loadConfig({path: dir, env: {}})
  if (!r.model) throw new Error(r.diagnostics.map((d) => d.summary).join('\n'))
  return r.model
}

const res = (address: string, type: StateResource['type'], attributes: StateResource['attributes'] = {}) => ({
  address,
  type,
  ids: {},
  attributes,
})

function state(...resources: StateResource[]): PriorState {
  return {serial: 3, lineage: '6c1f2a54-0b1e-4d8e-9a57-3f0e2b9c7d11', resources}
}

const managed = state(
  res('network.front', 'network'),
  res('rule.web', 'rule'),
  res('chain["host:DOCKWALL-FORWARD"]', 'chain'),
  res('firewall', 'firewall', {forward_policy: 'docker', input_policy: 'accept', ssh_port: 22}),
)

describe('intent check', () => {
  it.each([
    ['a 0-byte file', ''],
    ['only comments and blank lines', '# nothing yet\n\n// still nothing\n'],
    ['only settings', 'dockwall {\n  backend = "auto"\n}\n'],
    ['only a variable', 'variable "lan" {\n  default = "10.0.0.0/8"\n}\n'],
  ])('%s declares nothing', async (_name, text) => {
    expect(declaresNothing(await model(text))).toBe(true)
  })

  it.each([
    ['a firewall block', 'firewall {\n  input_policy = "accept"\n}\n'],
    ['a rule', 'rule "r" {\n  from = "10.0.0.1"\n  to = "10.0.0.2"\n}\n'],
    ['a network', 'network "n" {\n  subnet = "10.9.0.0/24"\n}\n'],
  ])('%s declares something', async (_name, text) => {
    expect(declaresNothing(await model(text))).toBe(false)
  })

  it('an empty JSON object declares nothing too', async () => {
    expect(declaresNothing(await model('{}', 'main.hcl.json'))).toBe(true)
  })

  it('refuses an empty configuration when the state manages resources, naming them and pointing at destroy', async () => {
    const m = await model('')
    let err: unknown
    try {
      checkIntent(m, managed, '/var/lib/dockwall/state.json')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(AbortError)
    expect((err as AbortError).message).toBe(
      `refusing to plan: ${join(dir, 'main.hcl')} declares nothing, while the state /var/lib/dockwall/state.json manages 2 resources (network.front, rule.web); applying it would destroy them all`,
    )
    expect((err as AbortError).hint).toMatch(/^to remove everything dockwall manages, run `dockwall destroy`/)
  })

  it('lets an empty configuration through when the state is empty, missing, or holds only chains and the default firewall', async () => {
    const m = await model('')
    expect(() => checkIntent(m, null, 's')).not.toThrow()
    expect(() => checkIntent(m, state(), 's')).not.toThrow()
    expect(() =>
      checkIntent(
        m,
        state(
          res('chain["host:DOCKWALL-FORWARD"]', 'chain'),
          res('firewall', 'firewall', {forward_policy: 'docker', input_policy: 'accept', ssh_port: 22}),
        ),
        's',
      ),
    ).not.toThrow()
  })

  it('counts a firewall record that is not the default: emptying the file would open the host', () => {
    expect(
      managedResources(
        state(res('firewall', 'firewall', {forward_policy: 'docker', input_policy: 'drop', ssh_port: 22})),
      ),
    ).toEqual(['firewall'])
  })

  it('lets a configuration that declares something through, whatever the state holds', async () => {
    const m = await model('network "n" {\n  subnet = "10.9.0.0/24"\n}\n')
    expect(() => checkIntent(m, managed, 's')).not.toThrow()
  })
})
