import {mkdir, mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ParseCache, sha256} from '../../../src/config/cache.js'
import {loadConfig} from '../../../src/config/index.js'

let dir: string
let cfg: string
let cacheDir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockwall-cache-'))
  cfg = join(dir, 'cfg')
  cacheDir = join(dir, 'cache')
  await mkdir(cfg)
  await writeFile(
    join(cfg, 'main.hcl'),
    'network "n" {\n  subnet = "10.1.0.0/24"\n}\n\nrule "r" {\n  to   = network.n\n  port = 99999\n}\n',
  )
})

afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('parse cache', () => {
  it('stores each .hcl file under the sha256 of its content', async () => {
    await loadConfig({path: cfg, env: {}, cacheDir})
    const text = await readFile(join(cfg, 'main.hcl'), 'utf8')
    expect(await readdir(cacheDir)).toEqual([`hcl-v1-${sha256(text)}.json`])
  })

  it('serves the parsed JSON and the positions: messages are the same from the cache', async () => {
    const cold = await loadConfig({path: cfg, env: {}, cacheDir})
    expect(cold.diagnostics.map((d) => [d.at?.line, d.at?.column, d.summary])).toEqual([
      [7, 3, 'port 99999 is out of range (1-65535)'],
    ])
    // A cache entry with a different body proves the second load reads it instead of parsing.
    const text = await readFile(join(cfg, 'main.hcl'), 'utf8')
    const cache = new ParseCache(cacheDir)
    const entry = (await cache.get(sha256(text)))!
    const rule = (entry.body.rule as Record<string, Array<Record<string, unknown>>>).r![0]!
    rule.port = 80
    await cache.put(sha256(text), entry)
    const warm = await loadConfig({path: cfg, env: {}, cacheDir})
    expect(warm.diagnostics).toEqual([])
    expect(warm.model?.rules[0]?.at).toEqual({file: join(cfg, 'main.hcl'), line: 5, column: 1})
  })

  it('ignores corrupt or foreign entries and rewrites them', async () => {
    const text = await readFile(join(cfg, 'main.hcl'), 'utf8')
    const file = join(cacheDir, `hcl-v1-${sha256(text)}.json`)
    await mkdir(cacheDir)
    for (const junk of [
      '{not json',
      JSON.stringify({format: 1, sha256: 'other', body: {}, positions: []}),
      JSON.stringify({format: 1, sha256: sha256(text), body: [], positions: []}),
    ]) {
      await writeFile(file, junk)
      const r = await loadConfig({path: cfg, env: {}, cacheDir})
      expect(r.diagnostics.map((d) => d.summary)).toEqual(['port 99999 is out of range (1-65535)'])
      expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({format: 1, sha256: sha256(text)})
    }
  })

  it('does not fail when the cache cannot be written', async () => {
    await writeFile(join(dir, 'not-a-dir'), '')
    const r = await loadConfig({path: cfg, env: {}, cacheDir: join(dir, 'not-a-dir', 'cache')})
    expect(r.diagnostics.map((d) => d.summary)).toEqual(['port 99999 is out of range (1-65535)'])
  })
})
