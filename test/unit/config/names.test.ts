// src/model/names.ts: the name rules every later stage (netfilter writer, Docker calls) reuses.
import {describe, expect, it} from 'vitest'

import {
  dockerNameError,
  interfaceNameError,
  isValidDockerName,
  isValidInterfaceName,
  isValidLabel,
  labelError,
} from '../../../src/model/names.js'

describe('labels', () => {
  it('accept identifiers up to 64 characters', () => {
    for (const l of ['lb', '_x', 'web_http', 'smarthost-loadbalancer', 'a'.repeat(64)])
      expect(isValidLabel(l)).toBe(true)
  })

  it('reject what would not be a safe part of an address or iptables comment', () => {
    expect(labelError('')).toBe('a label cannot be empty')
    expect(labelError('a'.repeat(65))).toBe('a label can have at most 64 characters (this one has 65)')
    for (const l of ['1web', 'web.http', 'web http', 'web"', 'wéb', '-x']) expect(isValidLabel(l)).toBe(false)
  })
})

describe('Docker names', () => {
  it('follow Docker: [a-zA-Z0-9][a-zA-Z0-9_.-]*, containers at least two characters', () => {
    expect(isValidDockerName('smarthost_backend-1', 'network')).toBe(true)
    expect(isValidDockerName('n', 'network')).toBe(true)
    expect(isValidDockerName('lb.v2', 'container')).toBe(true)
    expect(dockerNameError('l', 'container')).toBe('a Docker container name needs at least two characters')
    expect(isValidDockerName('_lb', 'container')).toBe(false)
    expect(isValidDockerName('web/1', 'container')).toBe(false)
    expect(dockerNameError('', 'network')).toBe('a network name cannot be empty')
  })
})

describe('interface names', () => {
  it('accept real names, up to 15 characters (IFNAMSIZ)', () => {
    for (const n of ['eth0', 'wg0', 'br-1a2b3c4d5e6f', 'enp0s31f6', 'eth0.100', 'veth1a2b@if5'])
      expect(isValidInterfaceName(n)).toBe(true)
    expect(interfaceNameError('br-1a2b3c4d5e6f7')).toBe(
      'an interface name can have at most 15 characters (Linux IFNAMSIZ; this one has 16)',
    )
  })

  it('accept an iptables wildcard suffix only when asked', () => {
    expect(isValidInterfaceName('veth+', {wildcard: true})).toBe(true)
    expect(isValidInterfaceName('veth+')).toBe(false)
    expect(interfaceNameError('+', {wildcard: true})).toMatch(/needs a prefix/)
    expect(interfaceNameError('ve+th', {wildcard: true})).toBe(
      '"+" is allowed only at the end of an interface name (as a wildcard)',
    )
  })

  it('reject what Linux or iptables-restore input would not take', () => {
    for (const n of ['', 'eth0:1', 'a/b', 'wg 0', 'wg\t0', '.', '..', 'eth"0', '!eth0'])
      expect(isValidInterfaceName(n, {wildcard: true})).toBe(false)
  })
})
