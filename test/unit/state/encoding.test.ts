// The encoder writes resources' iptables lines directly (most of a large state) instead
// of through JSON.stringify, and checks plainly valid lines without zod: the bytes and
// the verdicts must be exactly those of JSON.stringify(…, null, 2) and the schema.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {decodeState, encodeState, stateVerdicts, type RawState} from '../../../src/state/format.js'
import {RESOURCE_TYPES} from '../../../src/state/types.js'
import type {State, StateResource} from '../../../src/state/types.js'
import {addressFor} from './helpers.js'

const LINEAGE = '0b6a3f0e-8a4c-4f55-9d1e-1b2c3d4e5f60'

function state(resources: StateResource[]): State {
  return {version: 1, serial: 2, lineage: LINEAGE, dockwallVersion: '0.1.0', resources}
}

/** What the file must hold: the on-disk object through JSON.stringify(…, null, 2), keys of ids and attributes sorted. */
function reference(s: State): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys)
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v)
          .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
          .map((k) => [k, sortKeys((v as {[k: string]: unknown})[k])]),
      )
    return v
  }
  const resources = [...s.resources]
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
    .map((r) => ({
      address: r.address,
      type: r.type,
      ids: sortKeys(r.ids),
      attributes: sortKeys(r.attributes),
      ...(r.lines
        ? {
            lines: r.lines.map((l) => ({
              namespace: l.namespace,
              // Only ip6tables lines say their family: IPv4-only states keep the bytes they had.
              ...(l.family === 'ipv6' ? {family: 'ipv6'} : {}),
              table: l.table,
              chain: l.chain,
              spec: l.spec,
            })),
          }
        : {}),
    }))
  return `${JSON.stringify({version: 1, serial: s.serial, lineage: s.lineage, dockwall_version: s.dockwallVersion, resources}, null, 2)}\n`
}

const line = fc.record({
  namespace: fc.oneof(
    fc.constant('host'),
    fc.string({minLength: 1, maxLength: 8}).map((x) => `container.${x}`),
  ),
  family: fc.constantFrom('ipv4', 'ipv6'),
  table: fc.constantFrom('filter', 'nat'),
  chain: fc.string({minLength: 1, maxLength: 12}),
  // quotes, backslashes, control characters, non-ASCII: whatever a comment may hold
  spec: fc.string({
    maxLength: 60,
    unit: fc.oneof(
      fc.constantFrom('"', '\\', '\n', '\t', '\u0001', 'é', '😀', ' '),
      fc.string({minLength: 1, maxLength: 1}),
    ),
  }),
})

const resource = fc
  .record(
    {
      label: fc.stringMatching(/^[a-z_][a-z_]{0,4}$/),
      type: fc.constantFrom(...RESOURCE_TYPES),
      ids: fc.dictionary(fc.string({minLength: 1, maxLength: 4}), fc.string(), {maxKeys: 2}),
      attributes: fc.dictionary(
        fc.string({minLength: 1, maxLength: 4}),
        fc.oneof(fc.string(), fc.integer(), fc.boolean()),
        {maxKeys: 3},
      ),
      lines: fc.option(fc.array(line, {maxLength: 5}), {nil: undefined}),
    },
    {requiredKeys: ['label', 'type', 'ids', 'attributes']},
  )
  .map(({label, ...r}) => ({...r, address: addressFor(r.type, label)}))

describe('state encoding of iptables lines', () => {
  it('writes exactly what JSON.stringify(…, null, 2) writes, and reads it back', () => {
    fc.assert(
      fc.property(fc.uniqueArray(resource, {selector: (r) => r.address, maxLength: 6}), (list) => {
        const s = state(list as StateResource[])
        const text = encodeState(s)
        expect(text).toBe(reference(s))
        expect(encodeState(decodeState(text, 'f'))).toBe(text)
      }),
      {numRuns: 300},
    )
  })

  it('writes an empty list of lines as []', () => {
    const s = state([{address: 'rule.a', type: 'rule', ids: {}, attributes: {}, lines: []}])
    expect(encodeState(s)).toBe(reference(s))
    expect(encodeState(s)).toContain('"lines": []')
  })

  it.each([
    ['a namespace that is neither host nor container.X', {namespace: 'lb'}],
    ['an unknown table', {table: 'mangle'}],
    ['an empty chain', {chain: ''}],
    ['a spec that is not a string', {spec: 12}],
    ['an extra field', {extra: 'x'}],
    ['a missing field', {spec: undefined}],
  ])('refuses lines the schema refuses: %s', (_name, patch) => {
    const l = {
      namespace: 'host',
      family: 'ipv4',
      table: 'filter',
      chain: 'DOCKWALL-FORWARD',
      spec: '-j ACCEPT',
      ...patch,
    }
    if ('spec' in patch && patch.spec === undefined) delete (l as {spec?: unknown}).spec
    const r = {address: 'rule.a', type: 'rule', ids: {}, attributes: {}, lines: [l]} as unknown as StateResource
    expect(() => encodeState(state([r]))).toThrow(
      /refusing to write an invalid state: resource rule\.a:\n {2}lines\[0\]/,
    )
  })

  it('accepts what the schema accepts beyond the plain cases (any container label)', () => {
    const r: StateResource = {
      address: 'rule.a',
      type: 'rule',
      ids: {},
      attributes: {},
      lines: [{namespace: 'container.a b/"c"', family: 'ipv4', table: 'nat', chain: 'X', spec: ''}],
    }
    expect(encodeState(state([r]))).toBe(reference(state([r])))
  })
})

describe('the fast path of decoding', () => {
  const valid = (list: StateResource[]): RawState => JSON.parse(encodeState(state(list))) as RawState

  // Container labels as Docker names them ([A-Za-z0-9_.-]): the fast path leaves stranger ones to the schema.
  const dockerNamed = resource.map((r) => ({
    ...r,
    ...(r.lines
      ? {lines: r.lines.map((l) => ({...l, namespace: l.namespace === 'host' ? 'host' : 'container.web-1_a.b'}))}
      : {}),
  }))

  it('takes every state dockwall writes, so a large state never goes through zod', () => {
    fc.assert(
      fc.property(fc.uniqueArray(dockerNamed, {selector: (r) => r.address, maxLength: 6}), (list) => {
        expect(stateVerdicts(valid(list as StateResource[]))).toEqual({fast: true, schema: true})
      }),
      {numRuns: 200},
    )
  })

  /** Every place in a decoded object: [parent, key]. */
  function places(v: unknown, out: [{[k: string]: unknown}, string][] = []): [{[k: string]: unknown}, string][] {
    if (v !== null && typeof v === 'object')
      for (const k of Object.keys(v)) {
        out.push([v as {[k: string]: unknown}, k])
        places((v as {[k: string]: unknown})[k], out)
      }
    return out
  }

  const values = fc.constantFrom<unknown>(
    null,
    0,
    -1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    '',
    'x',
    'host',
    'container.',
    'container.a',
    'ipv6',
    'ipv5',
    'nat',
    'mangle',
    'rule',
    'rule.a',
    'network.a',
    true,
    [],
    ['x'],
    {},
    {a: 1},
    undefined,
    new Date(0),
  )
  // A fresh copy per use: an edit must not change the constant for later runs.
  const fresh = values.map((v) =>
    v instanceof Date ? new Date(0) : typeof v === 'object' && v !== null ? structuredClone(v) : v,
  )
  const keys = fc.constantFrom('__proto__', 'family', 'extra', 'lines', 'origin', 'import', 'ids', 'spec', 'x')

  it('accepts only what the schema accepts (mutated states: any field changed, dropped or added)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(resource, {selector: (r) => r.address, minLength: 1, maxLength: 4}),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('set', 'delete', 'add'), fresh, keys), {
          minLength: 1,
          maxLength: 3,
        }),
        (list, edits) => {
          const raw = valid(list as StateResource[])
          for (const [at, how, value, key] of edits) {
            const all = places(raw)
            const [parent, k] = all[at % all.length]!
            if (how === 'delete') delete parent[k]
            else if (how === 'set') parent[k] = value
            else {
              const target = parent[k]
              if (target !== null && typeof target === 'object' && !Array.isArray(target))
                Object.defineProperty(target, key, {value, enumerable: true, writable: true, configurable: true})
            }
          }
          const v = stateVerdicts(raw)
          if (v.fast) expect(v.schema).toBe(true)
        },
      ),
      {numRuns: 2000},
    )
  })
})

describe('decoded resources', () => {
  it('hold their keys in the canonical order whatever the file, for what is shown from them', () => {
    const text = JSON.stringify({
      version: 1,
      serial: 2,
      lineage: LINEAGE,
      dockwall_version: '0.1.0',
      resources: [
        {
          address: 'rule.a',
          type: 'rule',
          ids: {z: '1', a: '2'},
          attributes: {proto: 'tcp', action: 'accept', nested: {y: 1, b: 2}},
          lines: [{spec: '-j ACCEPT', chain: 'DOCKWALL-FORWARD', table: 'filter', namespace: 'host'}],
        },
      ],
    })
    const r = decodeState(text, 'f').resources[0]!
    expect(Object.keys(r.ids)).toEqual(['a', 'z'])
    expect(JSON.stringify(r.attributes)).toBe('{"action":"accept","nested":{"b":2,"y":1},"proto":"tcp"}')
    expect(Object.keys(r.lines![0]!)).toEqual(['namespace', 'family', 'table', 'chain', 'spec'])
    expect(Object.isFrozen(r) && Object.isFrozen(r.attributes) && Object.isFrozen(r.lines![0])).toBe(true)
  })
})
