// The iptables programs are named from a family and a backend only (src/netfilter/commands.ts).
import {describe, expect, it} from 'vitest'

import {iptablesProgram} from '../../../src/netfilter/commands.js'

describe('iptablesProgram', () => {
  it('names the save and restore of each family and backend', () => {
    expect(iptablesProgram('ipv4', 'nft', 'save')).toBe('iptables-nft-save')
    expect(iptablesProgram('ipv4', 'legacy', 'restore')).toBe('iptables-legacy-restore')
    expect(iptablesProgram('ipv6', 'nft', 'restore')).toBe('ip6tables-nft-restore')
    expect(iptablesProgram('ipv6', 'legacy', 'save')).toBe('ip6tables-legacy-save')
  })
})
