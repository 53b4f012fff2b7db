// The quick scan of a .hcl.json file (json-scan.ts): it records only the outline and
// counts members below it, and the loader falls back to the full scan when the count says
// JSON.parse dropped a repeated key. These are the texts that could fool the counting:
// colons and escaped quotes inside strings, repeated keys deep in nested maps.
import {describe, expect, it} from 'vitest'

import {parseJsonFile} from '../../../src/config/json-file.js'
import {countMembers, scanJsonQuick} from '../../../src/config/json-scan.js'

const summaries = (text: string): string[] =>
  parseJsonFile('a.hcl.json', text).diagnostics.map((d) => `${d.at?.line}:${d.at?.column}: ${d.summary}`)

describe('the quick scan of a .hcl.json file', () => {
  it('counts one member per colon outside strings, as JSON.parse keeps them', () => {
    const text = JSON.stringify({
      rule: {r: {description: 'a: "b" \\ c:', from: ['x:y', {k: 'v:"'}], port: 1}},
      network: {n: [{labels: {'a:b': 'c', '"': '\\'}}]},
    })
    const scan = scanJsonQuick(text, 2)
    expect(scan.problems).toEqual([])
    expect(scan.malformed).toBe(false)
    expect(scan.members).toBe(countMembers(JSON.parse(text)))
    expect(scan.members).toBe(11)
  })

  it('finds a key repeated below the outline after strings ending in an escaped backslash', () => {
    // "x\\" ends with a backslash that is itself escaped: the quote after it closes the string.
    const text = '{"rule": {"r": {"description": "x\\\\", "to": "a:b", "port": 1, "port": 2}}}'
    expect(summaries(text)).toEqual([
      '1:63: Duplicate key "port" (first at line 1); JSON objects cannot repeat a key, put repeated blocks in a list',
    ])
  })

  it('finds a key repeated in a map four levels down, and in a list of bodies', () => {
    const text = [
      '{"network": {"n": [',
      '  {"subnet": "10.0.0.0/24", "labels": {"a": "1", "b": "\\"", "a": "2"}}',
      ']}}',
    ].join('\n')
    expect(summaries(text)).toEqual([
      '2:61: Duplicate key "a" (first at line 2); JSON objects cannot repeat a key, put repeated blocks in a list',
    ])
  })

  it('reports a number too large below the outline, once, where it is written', () => {
    expect(summaries('{"rule": {"r": {"ports": [80, -2e400]}}}')).toEqual(['1:31: Invalid number'])
  })

  it('takes numbers with exponents and long numbers that fit', () => {
    const r = parseJsonFile('a.hcl.json', '{"rule": {"r": {"port": 8.0e1, "priority": 1234567890123456789}}}')
    expect(r.diagnostics).toEqual([])
  })
})
