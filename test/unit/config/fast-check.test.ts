// fastParse (src/config/fast-check.ts) answers for zod in the common case: whenever it
// gives a value, zod's safeParse must accept the same body with the same value, key order
// included. Random bodies over every body schema, from values that each schema takes or
// refuses, compare the two; typical bodies must take the quick way.
import {describe, expect, it} from 'vitest'
import type * as z from '../../../src/util/zod.js'

import {Ref} from '../../../src/config/expressions.js'
import {fastParse} from '../../../src/config/fast-check.js'
import {BODY_SCHEMAS, attachmentSchema, routeSchema} from '../../../src/config/schema.js'

const SCHEMAS: Record<string, z.ZodMiniObject> = {...BODY_SCHEMAS, attachment: attachmentSchema, route: routeSchema}

const VALUES: unknown[] = [
  undefined,
  '',
  'x',
  'any',
  '10.0.0.1',
  '8000-8100',
  'tcp',
  'icmp',
  'accept',
  'log',
  'forward',
  'ipv6',
  'drop',
  'allow',
  'nft',
  'string',
  'true',
  80,
  1.5,
  -1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  null,
  [],
  ['a', 80],
  ['10.0.0.1', new Ref('network', 'a')],
  [new Ref('container', 'b')],
  [[1]],
  new Ref('network', 'a'),
  new Ref('container', 'b'),
  {},
  {a: 'b', n: 1},
  {a: {b: 1}},
]

function prng(seed: number): () => number {
  let x = seed
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

describe('fastParse', () => {
  it('gives a value only when zod accepts the body, and the same value', () => {
    const rand = prng(13)
    let quick = 0
    for (const [name, schema] of Object.entries(SCHEMAS)) {
      const fields = Object.keys(schema.shape)
      for (let n = 0; n < 3000; n++) {
        const body: Record<string, unknown> = {}
        for (const f of fields) {
          if (rand() < 0.5) continue
          // Mostly values of the right kind: pick the value zod would default to, or any.
          body[f] = VALUES[Math.floor(rand() * VALUES.length)]
        }
        if (rand() < 0.05) body.unknown_field = 'x'
        const fast = fastParse(schema, body)
        if (!fast) continue
        quick++
        const slow = schema.safeParse(body)
        expect(slow.success, `${name} ${JSON.stringify(body)}`).toBe(true)
        expect(fast.data, name).toStrictEqual(slow.data)
        expect(Object.keys(fast.data as object), name).toEqual(Object.keys(slow.data as object))
      }
    }
    // Enough random bodies were fine for the comparison to mean something.
    expect(quick).toBeGreaterThan(500)
  })

  it('takes the quick way for typical bodies', () => {
    const cases: Array<[z.ZodMiniObject, Record<string, unknown>]> = [
      [
        BODY_SCHEMAS.rule,
        {from: new Ref('network', 'a'), to: '10.0.0.1', proto: 'tcp', port: 80, action: 'accept', priority: 3},
      ],
      [BODY_SCHEMAS.rule, {from: ['10.0.0.0/8', new Ref('container', 'b')], ports: [80, '8000-8100']}],
      [BODY_SCHEMAS.network, {subnet: '10.1.0.0/24', internal: 'true'}],
      [BODY_SCHEMAS.port_forward, {in_interface: 'eth0', port: 8080, to: new Ref('container', 'b')}],
      [BODY_SCHEMAS.firewall, {}],
      [attachmentSchema, {ipv4_address: '10.1.0.5', aliases: ['a']}],
    ]
    for (const [schema, body] of cases) {
      const fast = fastParse(schema, body)
      expect(fast, JSON.stringify(body)).toBeDefined()
      expect(fast!.data).toStrictEqual(schema.parse(body))
    }
  })

  it('leaves a body with a problem to zod', () => {
    expect(fastParse(BODY_SCHEMAS.rule, {prot: 'tcp'})).toBeUndefined()
    expect(fastParse(BODY_SCHEMAS.rule, {action: 'allow'})).toBeUndefined()
    expect(fastParse(BODY_SCHEMAS.rule, {from: 5})).toBeUndefined()
    expect(fastParse(BODY_SCHEMAS.network, {})).toBeUndefined()
    expect(fastParse(BODY_SCHEMAS.rule, {priority: Number.NaN})).toBeUndefined()
  })
})
