// The explain evaluator against real packets (issue 16): a sandbox engine gets a host
// (the fixtures' typical topology, then a random one from a seed: networks, containers
// with static addresses, published ports, DOCKER-USER rules, a DNAT on the external
// client's interface), the evaluator reads it as refresh would (iptables-save and ip in
// every namespace), and every (source, destination, port) is both predicted and probed
// with nc. Any disagreement fails the test and prints the seed (EXPLAIN_SEED=<n> replays it).
import {describe, expect, it} from 'vitest'

import {randomHost, restoreInput} from '../capture/random-host.js'
import {buildTypical, clearScenario, createNetworkSpec, runContainerSpec, TYPICAL} from '../capture/scenario.js'
import {describeDisagreement, probeMatrix, type ProbeCase, type ProbeSource} from '../helpers/explain-probe.js'
import {run} from '../../src/util/exec.js'
import {BACKENDS, e2eEngine, useSandbox, type Backend} from '../helpers/sandbox.js'

// The engine is the e2e project's (test/helpers/matrix.ts). The typical host runs on nft, a
// random host on legacy; EXPLAIN_BACKENDS=nft,legacy runs both tests on both (to hunt with many seeds).
const BOTH = process.env.EXPLAIN_BACKENDS !== undefined
const RUN_ON = (process.env.EXPLAIN_BACKENDS?.split(',') ?? BACKENDS) as Backend[]

// EXPLAIN_SEED=1,2,3 replays seeds (the default is one new random seed per run).
const SEEDS = process.env.EXPLAIN_SEED
  ? process.env.EXPLAIN_SEED.split(',').map(Number)
  : [Math.floor(Math.random() * 2 ** 31)]

describe.each(RUN_ON)('explain agrees with nc (%s)', (backend) => {
  const sandbox = useSandbox(backend)
  const engine = e2eEngine()

  // Registered only where it runs (a test that is registered and skipped reads as a skip in CI).
  if (BOTH || backend === 'nft')
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

  if (BOTH || backend === 'legacy')
    it(
      'random hosts: DOCKER-USER rules of every kind, published ports, a DNAT on the client interface',
      async () => {
        const sb = sandbox()
        await clearScenario(sb)
        const client = await sb.addExternalClient()
        for (const seed of SEEDS) {
          const started = performance.now()
          const h = randomHost(seed)
          for (const n of h.networks) await createNetworkSpec(sb, n)
          for (const c of h.containers) await runContainerSpec(sb, c)
          const restore = restoreInput(h)
          await sb.iptablesRestore(restore)
          const insideRules: string[] = []
          for (const c of h.containers) {
            const input = restoreInput(h, c.name)
            if (input.trim() === '') continue
            insideRules.push(`# in ${c.name}\n${input}`)
            await run(`iptables-${backend}-restore`, ['-w', '--noflush'], {
              netns: {kind: 'pid', pid: await sb.containerPid(c.name)},
              input,
            })
          }
          const built = performance.now()
          const sources: ProbeSource[] = [
            ...h.containers.map((c): ProbeSource => ({kind: 'container', name: c.name})),
            {kind: 'client', client},
            {kind: 'host'},
          ]
          const cases: ProbeCase[] = []
          for (const from of sources) {
            for (const c of h.containers)
              for (const n of c.networks) for (const port of h.containerPorts) cases.push({from, to: n.ip!, port})
            for (const port of [...h.hostPorts, ...h.clientPorts]) cases.push({from, to: client.sandboxIp, port})
            for (const port of h.hostPorts) cases.push({from, to: h.networks[0]!.gateway!, port})
          }
          const {outcomes, timings} = await probeMatrix(sb, cases, {clients: [client]})
          const bad = outcomes.filter((o) => !o.agree)
          console.log(
            `explain e2e ${engine}/${backend} seed ${seed}: ${outcomes.length} probes (${outcomes.filter((o) => o.ok).length} connected), ${bad.length} disagreements, ${((performance.now() - started) / 1000).toFixed(1)} s (build ${((built - started) / 1000).toFixed(1)} s, ${Object.entries(
              timings,
            )
              .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
              .join(', ')})`,
          )
          const detail =
            bad.length > 0 ? `\nseed ${seed} (replay: EXPLAIN_SEED=${seed})\n${restore}${insideRules.join('')}` : ''
          expect(bad.map(describeDisagreement), detail).toEqual([])
          // Undo the rules (Docker does not own them) before the next host.
          await clearScenario(sb)
          for (const r of h.rules.filter((l) => l.container === undefined && !h.chains.includes(l.chain)))
            await sb.iptables(['-t', r.table, '-D', r.chain, ...splitSpec(r.spec)])
          for (const c of h.chains) await sb.iptables(['-F', c]).then(() => sb.iptables(['-X', c]))
        }
      },
      180_000 * SEEDS.length,
    )
})

/** A generated spec's words (its only quoted value is the LOG prefix). */
function splitSpec(spec: string): string[] {
  return (spec.match(/"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^"(.*)"$/, '$1'))
}
