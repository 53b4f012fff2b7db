// The explain evaluator against real packets (issue 16): a sandbox engine gets a host
// (the fixtures' typical topology, then a random one from a seed: networks, containers
// with static addresses, published ports, DOCKER-USER rules, a DNAT on the external
// client's interface), the evaluator reads it as refresh would (iptables-save and ip in
// every namespace), and every (source, destination, port) is both predicted and probed
// with nc. Any disagreement fails the test and prints the seed (EXPLAIN_SEED=<n> replays it).
import {describe, expect, it} from 'vitest'

import {buildTypical, TYPICAL} from '../capture/scenario.js'
import {describeDisagreement, probeMatrix, type ProbeCase, type ProbeSource} from '../helpers/explain-probe.js'
import {useSandbox, type Backend} from '../helpers/sandbox.js'
import type {EngineName} from '../sandbox/index.js'

const MATRIX: Array<{engine: EngineName; backend: Backend}> = [{engine: 'system', backend: 'nft'}]

describe.each(MATRIX)('explain agrees with nc on $engine/$backend', ({engine, backend}) => {
  const sandbox = useSandbox(backend, {engine})

  it('typical host: two networks, a container on both, published ports, internal, icc=false', async () => {
    const sb = sandbox()
    const started = performance.now()
    await buildTypical(sb)
    const built = performance.now()
    const client = await sb.addExternalClient()
    const ips = new Map<string, string[]>()
    for (const c of TYPICAL.containers) {
      const info = await sb.docker.getContainer(c.name).inspect()
      ips.set(
        c.name,
        Object.values(info.NetworkSettings.Networks ?? {})
          .map((n) => n.IPAddress)
          .filter(Boolean),
      )
    }
    const sources: ProbeSource[] = [
      ...TYPICAL.containers.map((c): ProbeSource => ({kind: 'container', name: c.name})),
      {kind: 'client', client},
      {kind: 'host'},
    ]
    const cases: ProbeCase[] = []
    for (const from of sources) {
      for (const c of TYPICAL.containers) {
        const ports = [...(c.publish ?? []).map((p) => p.containerPort), 81]
        for (const ip of ips.get(c.name) ?? []) for (const port of ports) cases.push({from, to: ip, port})
      }
      for (const port of [8080, 9090, 8443, 7070]) cases.push({from, to: client.sandboxIp, port})
      cases.push({from, to: '10.31.1.1', port: 8080})
    }
    const {outcomes, timings} = await probeMatrix(sb, cases, {clients: [client]})
    const bad = outcomes.filter((o) => !o.agree)
    const allowed = outcomes.filter((o) => o.ok).length
    console.log(
      `explain e2e ${engine}/${backend} typical: ${outcomes.length} probes (${allowed} connected), ${bad.length} disagreements, ${((performance.now() - started) / 1000).toFixed(1)} s (build ${((built - started) / 1000).toFixed(1)} s, ${Object.entries(
        timings,
      )
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
        .join(', ')})`,
    )
    expect(bad.map(describeDisagreement)).toEqual([])
  })
})
