// One process of the explain benchmark (explain.ts): node starts, imports the evaluator,
// parses a 20,000-rule host dump, prepares the host and answers one question.
//   node build/test/bench/explain-process.js DUMPFILE [--parse-only]
// (--parse-only: the floor, what reading the dump costs without the evaluator)
import {readFileSync} from 'node:fs'

import {parseRuleset} from '../../src/netfilter/parse.js'

const ruleset = parseRuleset(readFileSync(process.argv[2]!, 'utf8'), {family: 'ipv4'})
if (process.argv[3] === '--parse-only') {
  process.stdout.write(`${ruleset.tables.length}\n`)
} else {
  const {Explainer} = await import('../../src/explain/index.js')
  const {loadCapture} = await import('../capture/fixture.js')
  const {host} = loadCapture('docker-20.10-nft')
  host.namespaces.find((n) => n.id === 'host')!.rulesets.ipv4 = ruleset
  const r = new Explainer(host).explain({
    from: {kind: 'namespace', namespace: 'container.db'},
    to: '10.31.1.10',
    proto: 'tcp',
    port: 80,
  })
  process.stdout.write(`${r.verdict}\n`)
}
