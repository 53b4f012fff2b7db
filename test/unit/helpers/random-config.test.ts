// The settling property test's generator (test/helpers/random-config.ts) gives valid
// configurations only: a seed whose configuration dockwall refuses would test the generator,
// not whether the plan settles. Every one of many seeds, both formats, both engine kinds,
// loads without an error or a warning; and the generator covers the schema it claims to.
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {loadConfig} from '../../../src/config/index.js'
import {formatDiagnostic} from '../../../src/errors.js'
import {randomConfig} from '../../helpers/random-config.js'

const SEEDS = Array.from({length: 150}, (_, i) => 1000 + i * 7919)

describe('randomConfig', () => {
  it('is pure: the same seed gives the same text', () => {
    const opts = {backend: 'nft', autoIpv6Subnet: true, prefix: 'p1'} as const
    expect(randomConfig(42, opts).text).toBe(randomConfig(42, opts).text)
  })

  it.each([true, false])('every configuration loads without a diagnostic (auto IPv6 subnets: %s)', async (auto) => {
    const dir = await mkdtemp(join(tmpdir(), 'dockwall-random-config-'))
    try {
      const bad: string[] = []
      for (const seed of SEEDS) {
        const c = randomConfig(seed, {backend: seed % 2 ? 'nft' : 'legacy', autoIpv6Subnet: auto, prefix: 's7'})
        const path = join(dir, c.file)
        await writeFile(path, c.text)
        const r = await loadConfig({path, env: {}})
        if (r.diagnostics.length > 0 || !r.model)
          bad.push(`seed ${seed}:\n${r.diagnostics.map((d) => formatDiagnostic(d)).join('\n')}\n${c.text}`)
        await rm(path)
      }
      expect(bad).toEqual([])
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it('draws from the whole schema over its seeds', () => {
    const all = SEEDS.map((s) => randomConfig(s, {backend: 'nft', autoIpv6Subnet: true, prefix: 's7'}).text).join('\n')
    for (const word of [
      'ipv6_subnet',
      'ipv6_gateway',
      'ipv6_ip_range',
      'ip_range',
      'internal',
      'labels',
      'com.docker.network.bridge.name',
      'ipv4_address',
      'ipv6_address',
      'aliases',
      'route',
      'fd00:200:',
      'in_container',
      'in_interface',
      'out_interface',
      'log_prefix',
      'family',
      'port_forward',
      'masquerade',
      'input_policy',
      'forward_policy',
      'allow_ssh',
      'ssh_port',
      'var.lan',
      '"chain": "input"',
      'chain = "output"',
      '"action": "reject"',
      'proto = "icmp"',
    ])
      expect(all, word).toContain(word)
  })
})
