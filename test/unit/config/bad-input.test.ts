// Input that is not a configuration at all, or is one taken to extremes: each gives
// positioned errors (never "a bug in dockwall"), in time linear in its size, and the
// loader writes nothing.
import {mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {MAX_SYNTAX_ERRORS} from '../../../src/config/hcl/parser.js'
import {loadConfig} from '../../../src/config/index.js'
import {MAX_JSON_NESTING} from '../../../src/config/json-scan.js'
import {formatDiagnostic} from '../../../src/errors.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockwall-bad-input-'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

async function load(name: string, content: string | Buffer) {
  await writeFile(join(dir, name), content)
  const r = await loadConfig({path: dir, env: {}})
  // Nothing but the file itself: no cache, no state, no lock.
  expect(await readdir(dir)).toEqual([name])
  return r
}

const where = (d: {at?: {line: number; column: number}}): string => `${d.at?.line}:${d.at?.column}`

describe('bad input', () => {
  it('a syntax error deep in a 5 MB file: its line and column', async () => {
    const block = (i: number): string => `rule "r${i}" {\n  from = "10.0.0.0/8"\n  port = ${1 + (i % 60000)}\n}\n\n`
    const parts: string[] = []
    let size = 0
    let i = 0
    while (size < 5_000_000) {
      const b = block(i++)
      parts.push(b)
      size += b.length
    }
    const lines = parts.join('').split('\n').length
    const r = await load('big.hcl', `${parts.join('')}rule "bad" {\n  port = = 1\n}\n`)
    expect(r.model).toBeUndefined()
    expect(r.diagnostics.map((d) => [where(d), d.summary])).toEqual([[`${lines + 1}:10`, 'Invalid expression']])
  })

  it('binary garbage: positioned errors, control characters escaped in every message', async () => {
    // A fixed pseudo-random byte stream (no Math.random: the test must be repeatable).
    const bytes = Buffer.alloc(200_000)
    let x = 0x2545f491
    for (let k = 0; k < bytes.length; k++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      bytes[k] = x & 0xff
    }
    const r = await load('garbage.hcl', bytes)
    expect(r.model).toBeUndefined()
    expect(r.diagnostics.length).toBeGreaterThan(0)
    expect(r.diagnostics.length).toBeLessThanOrEqual(MAX_SYNTAX_ERRORS + 1)
    for (const d of r.diagnostics) {
      expect(d.at?.file).toBe(join(dir, 'garbage.hcl'))
      const text = formatDiagnostic(d, {snippet: true})
      // Only the line breaks the message itself makes.
      // eslint-disable-next-line no-control-regex
      expect(text.replaceAll('\n', '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
    }
  })

  it('100,000 nested JSON arrays: one error at the first level too deep', async () => {
    const deep = `{"rule": {"r": {"port": ${'['.repeat(100_000)}1${']'.repeat(100_000)}}}}`
    const r = await load('deep.hcl.json', deep)
    expect(r.diagnostics.map((d) => [where(d), d.summary])).toEqual([
      [`1:${25 + MAX_JSON_NESTING - 3}`, 'Too deeply nested'],
    ])
  })

  it('100,000 nested HCL lists: one error, then the next line is read', async () => {
    const r = await load('deep.hcl', `rule "r" {\n  port = ${'['.repeat(100_000)}\n  prot = 1\n}\n`)
    expect(r.diagnostics.map((d) => [where(d), d.summary])).toEqual([['2:74', 'Too deeply nested']])
  })

  it('1,000 syntax errors: every one, on its own line', async () => {
    const text = Array.from({length: 1000}, (_, i) => `rule "r${i}" {\n  port = ]\n}\n`).join('')
    const r = await load('many.hcl', text)
    expect(r.diagnostics).toHaveLength(1000)
    expect(r.diagnostics.map(where)).toEqual(Array.from({length: 1000}, (_, i) => `${3 * i + 2}:10`))
  })

  it('port = 1e400: a number too large, where it is written', async () => {
    const h = await load('a.hcl', 'rule "r" {\n  port = 1e400\n}\n')
    expect(h.diagnostics.map((d) => [where(d), d.summary])).toEqual([['2:10', 'Invalid number']])
    await rm(join(dir, 'a.hcl'))
    const j = await load('a.hcl.json', '{"rule": {"r": {"port": 1e400}}}')
    expect(j.diagnostics.map((d) => [where(d), d.summary])).toEqual([['1:25', 'Invalid number']])
  })

  it('escapes control characters that a label or value brings into a message', async () => {
    const r = await load('a.hcl', 'network "n\\u001b[2J" {\n  subnet = "10.0.0.0/33\\u0007"\n}\n')
    const text = r.diagnostics.map((d) => formatDiagnostic(d, {snippet: true})).join('\n')
    expect(text).toContain('invalid label "n\\x1b[2J"')
    expect(text).toContain('"10.0.0.0/33\\u0007"')
    // eslint-disable-next-line no-control-regex
    expect(text.replaceAll('\n', '')).not.toMatch(/[\u0000-\u001f]/)
  })
})
