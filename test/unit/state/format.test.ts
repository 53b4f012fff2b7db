import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {AbortError} from '../../../src/errors.js'
import type {Json} from '../../../src/model/resources.js'
import {
  decodeState,
  encodeResources,
  encodeState,
  stateContentEqual,
  upgradeRawState,
} from '../../../src/state/format.js'
import type {RawState, StateUpgrade} from '../../../src/state/format.js'
import {putResource, removeResources} from '../../../src/state/resources.js'
import {RESOURCE_TYPES} from '../../../src/state/types.js'
import type {State, StateResource} from '../../../src/state/types.js'
import {addressFor, network, rule, sampleState} from './helpers.js'

const LINEAGE = '0b6a3f0e-8a4c-4f55-9d1e-1b2c3d4e5f60'

/** A valid file as text, with `patch` applied to the on-disk object. */
type Raw = {[k: string]: unknown; resources: {[k: string]: unknown}[]}

function fileText(patch: (raw: Raw) => void = () => {}): string {
  const raw = JSON.parse(encodeState({...sampleState(), lineage: LINEAGE, serial: 4}))
  patch(raw)
  return JSON.stringify(raw)
}

function decodeError(text: string, upgrades?: StateUpgrade[]): AbortError {
  try {
    decodeState(text, '/var/lib/dockwall/state.json', upgrades)
  } catch (error) {
    expect(error).toBeInstanceOf(AbortError)
    return error as AbortError
  }
  throw new Error('expected decodeState to fail')
}

describe('state format', () => {
  it('writes snake_case fields in a fixed order and reads them back as camelCase', () => {
    // Given a state in memory
    const state = {...sampleState(), lineage: LINEAGE, serial: 4}
    // When it is encoded
    const text = encodeState(state)
    // Then the file has the documented top-level shape, in this order
    const raw = JSON.parse(text)
    expect(Object.keys(raw)).toEqual(['version', 'serial', 'lineage', 'dockwall_version', 'resources'])
    expect(Object.keys(raw.resources[2])).toEqual(['address', 'type', 'ids', 'attributes', 'lines'])
    expect(raw.dockwall_version).toBe('0.1.0')
    expect(text.endsWith('}\n')).toBe(true)
    // And decoding gives the same state back
    expect(decodeState(text, 'f')).toEqual(state)
  })

  it('writes identical bytes for equal states, whatever the order in memory', () => {
    const jsonKey = fc.string({minLength: 1, maxLength: 6})
    const attrs = fc.dictionary(jsonKey, fc.jsonValue({maxDepth: 3}) as fc.Arbitrary<Json>, {maxKeys: 6})
    const resource = fc
      .record({
        label: fc.stringMatching(/^[a-z_][a-z_]{0,4}$/),
        type: fc.constantFrom(...RESOURCE_TYPES),
        ids: fc.dictionary(jsonKey, fc.string(), {maxKeys: 3}),
        attributes: attrs,
      })
      .map(({label, ...r}) => ({...r, address: addressFor(r.type, label)}))
    const resources = fc.uniqueArray(resource, {selector: (r) => r.address, maxLength: 12})
    fc.assert(
      fc.property(resources, fc.nat(), (list, seed) => {
        // JSON values through JSON once: fast-check may produce -0, which JSON writes as 0.
        const rs = JSON.parse(JSON.stringify(list)) as StateResource[]
        const a: State = {version: 1, serial: 3, lineage: LINEAGE, dockwallVersion: '0.1.0', resources: rs}
        const rotated = rs.length > 0 ? [...rs.slice(seed % rs.length), ...rs.slice(0, seed % rs.length)] : []
        const shuffled = (seed % 2 ? rotated.reverse() : rotated).map((r) => ({
          ...r,
          attributes: reverseKeys(r.attributes),
          ids: reverseKeys(r.ids),
        }))
        const b: State = {...a, resources: shuffled}
        const text = encodeState(a)
        expect(encodeState(b)).toBe(text)
        // Exactly what JSON.stringify(…, null, 2) prints: any JSON tool rewrites it unchanged.
        expect(`${JSON.stringify(JSON.parse(text), null, 2)}\n`).toBe(text)
        expect(stateContentEqual(a, b)).toBe(true)
        // Round trip: decode then encode gives the same bytes.
        expect(encodeState(decodeState(text, 'f'))).toBe(text)
      }),
      {numRuns: 200},
    )
  })

  it("hands out frozen canonical copies and leaves the caller's objects alone", () => {
    const mine = network('a')
    const decoded = decodeState(encodeState(sampleState([mine])), 'f')
    expect(Object.isFrozen(mine) || Object.isFrozen(mine.attributes)).toBe(false)
    const r = decoded.resources[0]!
    expect(() => {
      ;(r.attributes as {[k: string]: unknown}).name = 'b'
    }).toThrow(TypeError)
    expect(() => {
      ;(decoded.resources as StateResource[]).push(network('b'))
    }).toThrow(TypeError)
    // Edits go through putResource, which keeps the other resources (and their encoding) as they are.
    const edited = putResource(decoded, {...r, attributes: {...r.attributes, name: 'b'}})
    expect(decodeState(encodeState(edited), 'f').resources[0]?.attributes.name).toBe('b')
  })

  it('encodes decoded resources as they are, to the bytes of their canonical copies', () => {
    const state = {...sampleState(), lineage: LINEAGE, serial: 4}
    const text = encodeState(state)
    // A file as another tool may write it: keys in another order, no indentation.
    const raw = JSON.parse(text) as Raw
    raw.resources = raw.resources.map((r) => reverseKeys({...r, attributes: reverseKeys(r.attributes as Raw)}))
    for (const file of [text, JSON.stringify(raw)]) {
      const decoded = decodeState(file, 'f')
      // Decoded resources are canonical already: no second copy of each.
      const encoded = encodeResources(decoded.resources)
      expect(encoded.resources.every((r, i) => r === decoded.resources[i])).toBe(true)
      expect(encodeState(decoded)).toBe(text)
      // And deeply frozen, whether the file's objects were kept or copied.
      const frozen = (v: unknown): boolean =>
        v === null || typeof v !== 'object' || (Object.isFrozen(v) && Object.values(v).every(frozen))
      expect(decoded.resources.every(frozen)).toBe(true)
    }
  })

  it('keeps the order of iptables lines and of arrays inside attributes', () => {
    const r = rule('x', {
      attributes: {
        ports: [
          {from: 443, to: 443},
          {from: 80, to: 80},
        ],
      },
      lines: [
        {namespace: 'host', family: 'ipv4', table: 'filter', chain: 'DOCKWALL-FORWARD', spec: '-j B'},
        {namespace: 'container.lb', family: 'ipv4', table: 'nat', chain: 'DOCKWALL-PREROUTING', spec: '-j A'},
      ],
    })
    const back = decodeState(encodeState(sampleState([r])), 'f').resources[0]
    expect(back?.attributes.ports).toEqual([
      {from: 443, to: 443},
      {from: 80, to: 80},
    ])
    expect(back?.lines?.map((l) => l.spec)).toEqual(['-j B', '-j A'])
  })

  it('tells content changes from serial or version changes', () => {
    const a = sampleState()
    expect(stateContentEqual(a, {...a, serial: 9, dockwallVersion: '9.9.9'})).toBe(true)
    expect(stateContentEqual(a, removeResources(a, ['rule.web']))).toBe(false)
    expect(stateContentEqual(a, putResource(a, rule('web', {attributes: {priority: 1}})))).toBe(false)
    expect(stateContentEqual(a, {...a, lineage: LINEAGE})).toBe(false)
  })

  it('refuses to encode a state that would not read back', () => {
    expect(() => encodeState({...sampleState(), resources: [network('a'), network('a')]})).toThrow(
      /duplicate address network\.a/,
    )
    expect(() => encodeState(sampleState([network('a', {attributes: {mtu: Number.NaN}})]))).toThrow(
      /refusing to write an invalid state/,
    )
  })

  describe('validation names the file and the bad field', () => {
    it.each([
      [
        'a wrong resource type',
        (raw: Raw) => {
          raw.resources[1]!.type = 'firewal'
        },
        /resources\[1\] \(rule\.ssh\)\.type: Invalid option: expected one of "network"\|/,
      ],
      [
        'a bad namespace',
        (raw: Raw) => {
          ;(raw.resources[2]!.lines as {namespace: string}[])[0]!.namespace = 'lb'
        },
        /resources\[2\] \(rule\.web\)\.lines\[0\]\.namespace: expected "host" or "container\.<label>"/,
      ],
      [
        'a non-string id',
        (raw: Raw) => {
          raw.resources[0]!.ids = {network_id: 12}
        },
        /resources\[0\] \(network\.frontend\)\.ids\.network_id: Invalid input: expected string/,
      ],
      [
        'a missing lineage',
        (raw: Raw) => {
          delete raw.lineage
        },
        /lineage: /,
      ],
      [
        'a lineage that is not a UUID',
        (raw: Raw) => {
          raw.lineage = 'abc'
        },
        /lineage: expected a UUID/,
      ],
      [
        'a negative serial',
        (raw: Raw) => {
          raw.serial = -1
        },
        /serial: /,
      ],
      [
        'an unknown field',
        (raw: Raw) => {
          raw.outputs = {}
        },
        /\(top level\): unknown field "outputs"/,
      ],
      [
        'a malformed address (issue 15: it was accepted and acted on)',
        (raw: Raw) => {
          raw.resources[1]!.address = 'rule.ssh" -j ACCEPT\n'
        },
        /resources\[1\] \(rule\.ssh" -j ACCEPT\n\)\.address: "rule\.ssh\\" -j ACCEPT\\n": not a rule address \(expected rule\.LABEL/,
      ],
      [
        'an address of another type',
        (raw: Raw) => {
          raw.resources[2]!.address = 'network.web'
        },
        /resources\[2\] \(network\.web\)\.address: "network\.web": not a rule address/,
      ],
      [
        'a duplicate address',
        (raw: Raw) => {
          raw.resources[1]!.address = 'network.frontend'
        },
        /resources\[1\] \(network\.frontend\)\.address: duplicate address network\.frontend/,
      ],
    ])('%s', (_name, patch, message) => {
      const err = decodeError(fileText(patch))
      expect(err.message).toMatch(/^state file \/var\/lib\/dockwall\/state\.json is invalid:\n/)
      expect(err.message).toMatch(message)
      expect(err.hint).toMatch(/state\.json\.backup/)
    })

    it('says so when the file is not JSON, empty, or not an object', () => {
      expect(decodeError('{"version": 1,').message).toMatch(
        /^state file \/var\/lib\/dockwall\/state\.json is not valid JSON: /,
      )
      expect(decodeError('  \n').message).toBe('state file /var/lib/dockwall/state.json is empty')
      expect(decodeError('[1]').message).toMatch(/is not a dockwall state file \(expected a JSON object\)/)
      expect(decodeError('{"serial": 1}').message).toMatch(/"version" must be a whole number, found nothing/)
      for (const text of ['{"version": 1,', '  \n', '[1]', '{"serial": 1}'])
        expect(decodeError(text).hint).toMatch(/\/var\/lib\/dockwall\/state\.json\.backup/)
    })
  })

  it('refuses a file from a newer dockwall, naming its format', () => {
    const err = decodeError(
      fileText((raw) => {
        raw.version = 2
        raw.dockwall_version = '0.9.0'
      }),
    )
    expect(err.message).toBe(
      'state file /var/lib/dockwall/state.json was written by a newer dockwall (dockwall 0.9.0, format 2); upgrade dockwall',
    )
    expect(err.hint).toMatch(/reads state formats up to 1/)
    expect(err.hint).toMatch(/state\.json\.backup/)
  })

  describe('upgrades', () => {
    // A made-up format 0: resources as a map by address, `tool_version`, no lineage.
    const v0 = {
      version: 0,
      serial: 7,
      tool_version: '0.0.1',
      resources: {
        'rule.web': {type: 'rule', attributes: {action: 'accept'}},
        'network.frontend': {type: 'network', id: 'abc', attributes: {}},
      },
    }
    const v0to1: StateUpgrade = {
      from: 0,
      upgrade: (raw) => {
        const resources = raw.resources as {
          [address: string]: {type: string; id?: string; attributes: {[k: string]: unknown}}
        }
        return {
          version: 1,
          serial: raw.serial,
          lineage: LINEAGE,
          dockwall_version: raw.tool_version,
          resources: Object.entries(resources).map(([address, r]) => ({
            address,
            type: r.type,
            ids: r.id ? {network_id: r.id} : {},
            attributes: r.attributes,
          })),
        }
      },
    }

    it('upgrades an old file step by step, then validates it', () => {
      const state = decodeState(JSON.stringify(v0), 'old.json', [v0to1])
      expect(state).toEqual({
        version: 1,
        serial: 7,
        lineage: LINEAGE,
        dockwallVersion: '0.0.1',
        resources: [
          {address: 'network.frontend', type: 'network', ids: {network_id: 'abc'}, attributes: {}},
          {address: 'rule.web', type: 'rule', ids: {}, attributes: {action: 'accept'}},
        ],
      })
    })

    it('runs the steps in order, each on the previous output, whatever their order in the list', () => {
      const seen: number[] = []
      const step = (from: number): StateUpgrade => ({
        from,
        upgrade: (raw: RawState) => {
          seen.push(from)
          return {...raw, version: from + 1, [`step${from}`]: true}
        },
      })
      const out = upgradeRawState({version: 0}, 'f', [step(2), step(0), step(1)], 3)
      expect(seen).toEqual([0, 1, 2])
      expect(out).toEqual({version: 3, step0: true, step1: true, step2: true})
      // From the middle of the chain, only the remaining steps run.
      seen.length = 0
      upgradeRawState({version: 2}, 'f', [step(2), step(0), step(1)], 3)
      expect(seen).toEqual([2])
    })

    it('refuses a format with no upgrade path; the real chain has none below 1', () => {
      expect(decodeError(JSON.stringify(v0)).message).toBe(
        'state file /var/lib/dockwall/state.json has format 0, which this dockwall cannot upgrade (no upgrade from format 0)',
      )
    })

    it('names the file and the step when an upgrade fails', () => {
      const broken: StateUpgrade = {
        from: 0,
        upgrade: () => {
          throw new Error('resources is not a map')
        },
      }
      expect(decodeError(JSON.stringify(v0), [broken]).message).toBe(
        'cannot upgrade state file /var/lib/dockwall/state.json from format 0 to 1: resources is not a map',
      )
    })

    it('treats a step that does not set the next version as a bug', () => {
      const sloppy: StateUpgrade = {from: 0, upgrade: (raw) => ({...raw})}
      expect(() => decodeState(JSON.stringify(v0), 'f', [sloppy])).toThrow(
        'state upgrade from format 0 produced format 0, not 1',
      )
    })

    it('checks the upgraded result like any file', () => {
      const lossy: StateUpgrade = {from: 0, upgrade: (raw) => ({...v0to1.upgrade(raw), lineage: undefined})}
      expect(decodeError(JSON.stringify(v0), [lossy]).message).toMatch(/invalid:\n {2}lineage: /)
    })
  })
})

function reverseKeys<T extends {[k: string]: unknown}>(o: T): T {
  return Object.fromEntries(Object.entries(o).reverse()) as T
}

describe('control data inside ids', () => {
  const base = {version: 1 as const, serial: 1, lineage: LINEAGE, dockwallVersion: '0.1.0'}

  it('reads origin and the import marker into typed fields, and writes them back inside ids', () => {
    // Given a file whose ids carry an origin and a pending import move, as format 1 spells them
    const text = encodeState({
      ...base,
      resources: [
        {address: 'network.n', type: 'network', ids: {id: 'abc'}, origin: 'adopted', attributes: {}},
        {address: 'rule.r', type: 'rule', ids: {}, origin: 'imported', pendingMove: true, attributes: {}, lines: []},
      ],
    })
    expect(JSON.parse(text).resources.map((r: {ids: unknown}) => r.ids)).toEqual([
      {id: 'abc', origin: 'adopted'},
      {import: 'pending', origin: 'imported'},
    ])
    // When it is read
    const state = decodeState(text, 'f')
    // Then the control data is typed, the Docker ids stay ids, and the bytes round-trip
    expect(state.resources[0]).toMatchObject({ids: {id: 'abc'}, origin: 'adopted'})
    expect(state.resources[1]).toMatchObject({ids: {}, origin: 'imported', pendingMove: true})
    expect(encodeState(state)).toBe(text)
  })

  it('keeps values it does not know inside ids, so they are written back unchanged', () => {
    const text = fileText((raw) => {
      raw.resources[0]!.ids = {network_id: 'x', origin: 'someday', import: 'later'}
    })
    const state = decodeState(text, 'f')
    expect(state.resources[0]!.origin).toBeUndefined()
    expect(state.resources[0]!.pendingMove).toBeUndefined()
    expect(JSON.parse(encodeState(state)).resources[0].ids).toEqual({
      import: 'later',
      network_id: 'x',
      origin: 'someday',
    })
  })

  it('refuses to write an origin the format cannot spell', () => {
    const bad = {
      address: 'network.n',
      type: 'network',
      ids: {},
      origin: 'stolen',
      attributes: {},
    } as unknown as StateResource
    expect(() => encodeState({...base, resources: [bad]})).toThrow(
      /network\.n: origin must be one of created, adopted, imported/,
    )
  })
})
