import {describe, expect, it} from 'vitest'

import {InvalidNameError} from '../../../src/netfilter/errors.js'
import {
  validateChainName,
  validateComment,
  validateInterfaceName,
  validateTableName,
} from '../../../src/netfilter/names.js'

describe('names that reach iptables', () => {
  it('chains: 28 characters, letters digits _ . -, not a standard target', () => {
    expect(validateChainName('DOCKWALL-FORWARD')).toBe('DOCKWALL-FORWARD')
    expect(validateChainName('A'.repeat(28))).toHaveLength(28)
    for (const bad of ['', 'A'.repeat(29), '-X', '!X', 'a b', 'a:b', 'ACCEPT', 'RETURN', 'é']) {
      expect(() => validateChainName(bad), bad).toThrow(InvalidNameError)
    }
  })
  it('tables', () => {
    expect(validateTableName('nat')).toBe('nat')
    expect(() => validateTableName('broute')).toThrow(InvalidNameError)
  })
  it('interfaces: 15 characters, optional trailing +', () => {
    expect(validateInterfaceName('br-0123456789ab')).toBe('br-0123456789ab')
    expect(validateInterfaceName('veth+')).toBe('veth+')
    for (const bad of ['', 'a'.repeat(16), 'a/b', 'a b', 'a+b', '..'])
      expect(() => validateInterfaceName(bad), bad).toThrow(InvalidNameError)
  })
  it('comments: 255 bytes, no control characters', () => {
    expect(validateComment('dockwall:rule.web_http')).toBe('dockwall:rule.web_http')
    expect(() => validateComment('a'.repeat(256))).toThrow(/256 bytes/)
    expect(() => validateComment('é'.repeat(128))).toThrow(InvalidNameError)
    expect(() => validateComment('a\nb')).toThrow(/control character/)
  })
})
