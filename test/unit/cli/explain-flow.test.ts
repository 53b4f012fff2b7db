import {describe, expect, it} from 'vitest'

import {questionOf} from '../../../src/cli/explain-flow.js'
import {AbortError} from '../../../src/errors.js'

describe('questionOf', () => {
  it('parses FROM and TO with the flags', () => {
    expect(questionOf('container.db', 'external:eth0', {proto: 'udp', port: 53, 'in-interface': 'eth1'})).toEqual({
      from: {kind: 'container', name: 'db'},
      to: {kind: 'external', interface: 'eth0'},
      proto: 'udp',
      port: 53,
      inInterface: 'eth1',
    })
    expect(questionOf('host', '10.0.0.1', {proto: 'icmp'})).toEqual({
      from: {kind: 'host'},
      to: {kind: 'address', text: '10.0.0.1'},
      proto: 'icmp',
    })
  })

  it.each([
    [['a', 'b', {proto: 'tcp'}], 'tcp needs a destination port'],
    [['a', 'b', {proto: 'icmp', port: 1}], 'icmp has no port'],
    [['a b', 'b', {proto: 'tcp', port: 1}], 'FROM "a b" is not container.NAME'],
  ] as const)('refuses %j', (args, message) => {
    expect(() => questionOf(...(args as unknown as Parameters<typeof questionOf>))).toThrow(AbortError)
    expect(() => questionOf(...(args as unknown as Parameters<typeof questionOf>))).toThrow(message)
  })
})
