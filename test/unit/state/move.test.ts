// `state mv` as a function: what an address may be, and that a refused move writes nothing.
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {parseResourceAddress} from '../../../src/model/addresses.js'
import {moveInState} from '../../../src/state/move.js'
import {readState, writeState} from '../../../src/state/store.js'
import {makeTmpDir, network, rule, sampleState} from './helpers.js'

describe('parseResourceAddress', () => {
  it('names the type of every address a configuration declares', () => {
    expect(parseResourceAddress('network.front')).toEqual({ok: true, type: 'network'})
    expect(parseResourceAddress('container.lb.network.front')).toEqual({ok: true, type: 'attachment'})
    expect(parseResourceAddress('container.lb.route["10.8.0.0/24"]')).toEqual({ok: true, type: 'route'})
    expect(parseResourceAddress('container.lb.route["fd00:8::/64"]')).toEqual({ok: true, type: 'route'})
    expect(parseResourceAddress('rule.web_http')).toEqual({ok: true, type: 'rule'})
    expect(parseResourceAddress('port_forward.wg-http')).toEqual({ok: true, type: 'port_forward'})
    expect(parseResourceAddress('masquerade._out')).toEqual({ok: true, type: 'masquerade'})
  })

  it('refuses what could not be a label in a dockwall comment, and dockwall-owned addresses', () => {
    for (const bad of [
      'rule.a b',
      'rule."x"',
      'rule.1x',
      'rule.',
      'rules.x',
      'network.a.b',
      'container.lb.route[10.8.0.0/24]',
    ])
      expect(parseResourceAddress(bad).ok, bad).toBe(false)
    expect(parseResourceAddress(`rule.${'x'.repeat(65)}`)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/64/),
    })
    expect(parseResourceAddress('firewall').ok).toBe(false)
    expect(parseResourceAddress('chain["host:DOCKWALL-FORWARD"]').ok).toBe(false)
  })
})

describe('moveInState', () => {
  const opts = {lock: true, lockTimeoutMs: 0, operation: 'test', dockwallVersion: '0.0.0-test'}

  it('moves the record unchanged, and writes nothing when refused', async () => {
    const dir = await makeTmpDir()
    const statePath = join(dir, 'dockwall.state.json')
    await writeState(statePath, sampleState([network('front'), rule('web'), rule('ssh')]), null)
    const before = await readFile(statePath, 'utf8')
    await expect(moveInState({...opts, statePath, source: 'rule.web', destination: 'rule.ssh'})).rejects.toThrow(
      /in the state already/,
    )
    await expect(moveInState({...opts, statePath, source: 'rule.web', destination: 'rule.web'})).rejects.toThrow(
      /nothing to move/,
    )
    expect(await readFile(statePath, 'utf8')).toBe(before)
    const r = await moveInState({...opts, statePath, source: 'rule.web', destination: 'rule.http'})
    expect(r).toMatchObject({source: 'rule.web', destination: 'rule.http', type: 'rule', serial: 2, dryRun: false})
    const state = await readState(statePath)
    const old = sampleState([rule('web')]).resources[0]!
    expect(state?.resources.find((x) => x.address === 'rule.http')).toEqual({...old, address: 'rule.http'})
  })
})
