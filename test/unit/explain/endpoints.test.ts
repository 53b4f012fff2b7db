// FROM and TO as people write them, resolved against a captured Docker 28.5 host (the
// typical topology: front, back, intern, noicc, the default bridge, a client on dwext0).
import {describe, expect, it} from 'vitest'

import {
  answerQuestion,
  EndpointResolver,
  ExplainInputError,
  Explainer,
  parseEndpoint,
} from '../../../src/explain/index.js'
import {capturedTypical} from './build.js'

const {host, directory} = capturedTypical()
const resolver = new EndpointResolver(host, directory)

function flows(from: string, to: string, opts: {inInterface?: string} = {}) {
  return resolver
    .resolve(parseEndpoint(from, 'FROM'), parseEndpoint(to, 'TO'), opts)
    .map((f) => ({from: f.from, to: f.to}))
}

function error(from: string, to: string, opts: {inInterface?: string} = {}): string {
  try {
    flows(from, to, opts)
  } catch (err) {
    if (err instanceof ExplainInputError) return err.message
    throw err
  }
  throw new Error(`${from} -> ${to} resolved`)
}

describe('parseEndpoint', () => {
  it.each([
    ['host', {kind: 'host'}],
    ['external:eth0', {kind: 'external', interface: 'eth0'}],
    ['container.web', {kind: 'container', name: 'web'}],
    ['network.front', {kind: 'network', name: 'front'}],
    ['10.0.0.1', {kind: 'address', text: '10.0.0.1'}],
    ['192.168.1.0/24', {kind: 'address', text: '192.168.1.0/24'}],
    ['fd00::1', {kind: 'address', text: 'fd00::1'}],
    ['web', {kind: 'name', name: 'web'}],
  ])('%s', (text, spec) => {
    expect(parseEndpoint(text, 'FROM')).toEqual(spec)
  })

  it.each(['10.0.0.300', 'container.', 'external:', 'a b', '1.2.3'])('refuses %s', (text) => {
    expect(() => parseEndpoint(text, 'TO')).toThrow(ExplainInputError)
  })
})

describe('EndpointResolver', () => {
  it('a container to a container: from its namespace to the address on the network they share', () => {
    expect(flows('container.api', 'container.web')).toEqual([
      {from: {kind: 'namespace', namespace: 'container.api'}, to: '10.31.1.10'},
    ])
    // api is on front and back; db shares back with it.
    expect(flows('db', 'api')).toEqual([{from: {kind: 'namespace', namespace: 'container.db'}, to: '10.31.2.20'}])
  })

  it('a container that shares no network: every address it has, one flow each', () => {
    expect(flows('vault', 'api').map((f) => f.to)).toEqual(['10.31.2.20', '10.31.1.20'])
  })

  it("a configuration's label names the container too", () => {
    expect(flows('host', 'container.frontend_web')).toEqual([
      {from: {kind: 'namespace', namespace: 'host'}, to: '10.31.1.10'},
    ])
  })

  it('a network as FROM: each running member; as TO: its gateway', () => {
    expect(flows('network.back', 'network.front')).toEqual([
      {from: {kind: 'namespace', namespace: 'container.api'}, to: '10.31.1.1'},
      {from: {kind: 'namespace', namespace: 'container.db'}, to: '10.31.1.1'},
    ])
  })

  it("host as TO: the container's gateway, the client's interface address", () => {
    expect(flows('db', 'host')[0]?.to).toBe('10.31.2.1')
    expect(flows('198.18.0.2', 'host')).toEqual([
      {from: {kind: 'client', namespace: 'host', address: '198.18.0.2'}, to: '198.18.0.1'},
    ])
  })

  it('external:IF: a client standing in the interface subnet, at an address no namespace holds', () => {
    expect(flows('external:dwext0', '10.31.1.10')).toEqual([
      {from: {kind: 'client', namespace: 'host', interface: 'dwext0', address: '198.18.0.254'}, to: '10.31.1.10'},
    ])
  })

  it("an address a namespace holds sends from that namespace; a CIDR's first address stands for it", () => {
    expect(flows('10.31.2.30', '10.31.1.10')[0]?.from).toEqual({
      kind: 'namespace',
      namespace: 'container.db',
      address: '10.31.2.30',
    })
    expect(flows('198.18.0.0/24', 'web')[0]?.from).toEqual({kind: 'client', namespace: 'host', address: '198.18.0.2'})
  })

  it('an address on no known network is refused, naming the networks it could be on', () => {
    expect(error('db', '10.99.0.5')).toMatch(/^TO: 10\.99\.0\.5 is on no known network: .*front 10\.31\.1\.0\/24/)
    expect(error('10.99.0.5', 'web')).toMatch(/^FROM: 10\.99\.0\.5 is on no known network .*--in-interface IF/)
    // With the interface named it is a client from elsewhere.
    expect(flows('10.99.0.5', 'web', {inInterface: 'dwext0'})[0]?.from).toEqual({
      kind: 'client',
      namespace: 'host',
      address: '10.99.0.5',
      interface: 'dwext0',
    })
  })

  it.each([
    ['nope', 'web', 'FROM: no container or network is named nope'],
    ['container.nope', 'web', 'FROM: no container nope (containers: api, db, iso1, iso2, legacy, stopped, vault, web)'],
    ['web', 'network.nope', 'TO: no network nope'],
    ['iso2', 'web', 'FROM: iso2 names a container and a network: write container.iso2 or network.iso2'],
    ['container.stopped', 'web', 'FROM: container stopped is not running'],
    ['network.intern', 'external:nope0', 'TO: the host has no interface nope0'],
  ])('%s -> %s: %s', (from, to, message) => {
    expect(error(from, to)).toContain(message)
  })

  it('answers every flow and says when they differ', () => {
    const explainer = new Explainer(host)
    const q = (from: string, to: string) =>
      answerQuestion(explainer, resolver, {
        from: parseEndpoint(from, 'FROM'),
        to: parseEndpoint(to, 'TO'),
        proto: 'tcp',
        port: 80,
      })
    expect(q('container.api', 'container.web').verdict).toBe('allow')
    expect(q('container.db', 'container.web').verdict).toBe('deny')
    // From front (api) web answers; from back (db) Docker drops it.
    const mixed = q('network.back', 'container.web')
    expect(mixed.flows.map((f) => f.result.verdict)).toEqual(['allow', 'deny'])
    expect(mixed.verdict).toBe('mixed')
  })
})
