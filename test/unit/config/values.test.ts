import {describe, expect, it} from 'vitest'

import {canonicalCidr, cidrsOverlap, formatIPv4, parseCidr, parseIPv4} from '../../../src/config/ipv4.js'
import {cidr, endpoint, integer, ipv4, portRange} from '../../../src/config/values.js'

const labels = {containers: new Set(['lb', 'backend']), networks: new Set(['frontend'])}

describe('IPv4', () => {
  it('parses only dotted quads', () => {
    expect(parseIPv4('172.18.103.2')).toBe(0xac126702)
    expect(formatIPv4(0xac126702)).toBe('172.18.103.2')
    for (const s of ['10', '10.0.0', '010.0.0.1', '0x0a.0.0.1', '256.0.0.1', '1.2.3.4.5', '1.2.3.'])
      expect(parseIPv4(s)).toBeUndefined()
  })

  it('parses CIDRs, normalises and compares them', () => {
    expect(parseCidr('10.0.0.1/8')).toEqual({ip: 0x0a000001, prefix: 8})
    expect(canonicalCidr(parseCidr('10.0.0.1/8')!)).toBe('10.0.0.0/8')
    expect(parseCidr('10.0.0.0/33')).toBeUndefined()
    expect(parseCidr('10.0.0.0/08')).toBeUndefined()
    expect(cidrsOverlap(parseCidr('172.18.0.0/16')!, parseCidr('172.18.104.0/24')!)).toBe(true)
    expect(cidrsOverlap(parseCidr('172.18.103.0/24')!, parseCidr('172.18.104.0/24')!)).toBe(false)
    expect(cidrsOverlap(parseCidr('0.0.0.0/0')!, parseCidr('1.2.3.4/32')!)).toBe(true)
  })
})

describe('values', () => {
  it('requires canonical CIDRs and says which one was meant', () => {
    expect(cidr('10.0.0.1/8')).toEqual({ok: false, error: '"10.0.0.1/8" has host bits set; did you mean "10.0.0.0/8"?'})
    expect(cidr('10.0.0.1')).toEqual({
      ok: false,
      error: '"10.0.0.1" is an address; a CIDR is expected here (e.g. 10.0.0.1/32)',
    })
    expect(cidr('fd00::/64')).toEqual({ok: false, error: '"fd00::/64" is an IPv6 CIDR; an IPv4 CIDR is expected here'})
    expect(ipv4('10.0.0.0/8')).toEqual({
      ok: false,
      error: '"10.0.0.0/8" is a CIDR; an address is expected here (write it without /prefix)',
    })
  })

  it('turns rule ends into endpoints', () => {
    expect(endpoint('any', labels)).toEqual({ok: true, value: {kind: 'any'}})
    expect(endpoint('10.1.2.3', labels)).toEqual({ok: true, value: {kind: 'cidr', cidr: '10.1.2.3/32', family: 'ipv4'}})
    expect(endpoint('10.1.0.0/16', labels)).toEqual({
      ok: true,
      value: {kind: 'cidr', cidr: '10.1.0.0/16', family: 'ipv4'},
    })
    expect(endpoint('lb', labels)).toEqual({
      ok: false,
      error: '"lb" is a string; to refer to the container write container.lb (without quotes)',
    })
    expect(endpoint('frontend', labels)).toEqual({
      ok: false,
      error: '"frontend" is a string; to refer to the network write network.frontend (without quotes)',
    })
    expect(endpoint('publicbackend', labels)).toEqual({
      ok: false,
      error: '"publicbackend" is not an IP address, a CIDR, "any", or a reference (container.NAME, network.NAME)',
    })
    expect(endpoint('backnd', labels)).toEqual({
      ok: false,
      error:
        '"backnd" is not an IP address, a CIDR, "any", or a reference (container.NAME, network.NAME); did you mean container.backend?',
    })
  })

  it('parses ports and ranges, 1-65535, not reversed', () => {
    expect(portRange(80)).toEqual({ok: true, value: {from: 80, to: 80}})
    expect(portRange('443')).toEqual({ok: true, value: {from: 443, to: 443}})
    expect(portRange('8000-8100')).toEqual({ok: true, value: {from: 8000, to: 8100}})
    expect(portRange(0)).toEqual({ok: false, error: 'port 0 is out of range (1-65535)'})
    expect(portRange('1-70000')).toEqual({ok: false, error: 'port 70000 is out of range (1-65535)'})
    expect(portRange('9000-8000')).toEqual({
      ok: false,
      error: 'port range "9000-8000" is reversed; did you mean "8000-9000"?',
    })
    expect(portRange('8000:8100')).toEqual({ok: false, error: '"8000:8100": write port ranges with "-" ("8000-8100")'})
    expect(portRange(80.5)).toEqual({ok: false, error: 'port 80.5 is not an integer'})
    expect(portRange('http')).toEqual({ok: false, error: '"http" is not a port or a range like "8000-8100"'})
  })

  it('parses integers', () => {
    expect(integer('-5', 'priority')).toEqual({ok: true, value: -5})
    expect(integer(1.5, 'priority')).toEqual({ok: false, error: 'priority must be an integer, got 1.5'})
  })
})
