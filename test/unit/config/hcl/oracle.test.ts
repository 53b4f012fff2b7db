// The parser against the oracle: hcl2-parser (HashiCorp's HCL, compiled to JS; the
// loader's parser until dockwall had its own) must give the same JSON for every
// configuration in the repository (fixtures, every README example) and for generated
// ones. The one deliberate difference: a literal `${` written `$${` stays escaped.
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {parseHcl} from '../../../../src/config/hcl/parser.js'
import {bodyToJson} from '../../../../src/config/hcl/to-json.js'
import {hclFile} from './gen.js'

const oracle = createRequire(import.meta.url)('hcl2-parser') as {parseToObject(s: string): [unknown, unknown]}

function viaOracle(src: string): unknown {
  const [obj, err] = oracle.parseToObject(src)
  // Through JSON, as the loader's values are JSON: the oracle's `-0` is 0 there (seed 446930797).
  return err == null ? (JSON.parse(JSON.stringify(obj)) as unknown) : undefined
}

function viaParser(src: string): unknown {
  const r = parseHcl(src)
  if (r.errors.length > 0) return undefined
  const errors = [...r.errors]
  const json = bodyToJson(src, r.body, errors)
  return errors.length > 0 ? undefined : json
}

function hclFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return hclFiles(path)
    return name.endsWith('.hcl') ? [path] : []
  })
}

function readmeExamples(): string[] {
  const text = readFileSync('README.md', 'utf8')
  return [...text.matchAll(/```hcl\n([\s\S]*?)```/g)].map((m) => m[1]!)
}

describe('parser and hcl2-parser agree', () => {
  // Bad syntax fixtures are rejected by both; the rest parse to the same JSON.
  const files = hclFiles('fixtures')
  it.each(files)('%s', (path) => {
    const src = readFileSync(path, 'utf8')
    expect(viaParser(src)).toEqual(viaOracle(src))
  })

  const examples = readmeExamples()
  it('covers every README example', () => expect(examples.length).toBeGreaterThanOrEqual(9))
  it.each(examples.map((src, i) => [i, src] as const))('README example %i', (_, src) => {
    const mine = viaParser(src)
    expect(mine).toBeDefined()
    expect(mine).toEqual(viaOracle(src))
  })

  it('on generated configurations', () => {
    fc.assert(
      fc.property(hclFile({heredocs: true}), (src) => {
        const mine = viaParser(src)
        expect(mine, src).toBeDefined()
        expect(mine, src).toEqual(viaOracle(src))
      }),
      {numRuns: 300},
    )
  })

  it('except that a literal ${ keeps its escape', () => {
    const src = 'a = "$${x} and %%{y}"\n'
    expect(viaOracle(src)).toEqual({a: '${x} and %{y}'})
    expect(viaParser(src)).toEqual({a: '$${x} and %%{y}'})
  })
})
