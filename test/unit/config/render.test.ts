// How a configuration problem reads on a terminal: `file:line:column: address: message`
// (for editors and CI problem matchers), the source line, a caret line under exactly
// what the message is about, then the explanation.
import {describe, expect, it} from 'vitest'

import {renderError} from '../../../src/cli/render-error.js'
import {loadConfig} from '../../../src/config/index.js'
import {ConfigError, type Diagnostic, escapeControl, formatDiagnostic} from '../../../src/errors.js'

const at = (line: number, column: number, end?: [number, number]) => ({
  file: 'main.hcl',
  line,
  column,
  ...(end ? {end: {line: end[0], column: end[1]}} : {}),
})

describe('formatDiagnostic with the source line', () => {
  it('puts carets under the value', () => {
    const d: Diagnostic = {
      severity: 'error',
      summary: 'port 70000 is out of range (1-65535)',
      address: 'rule.web',
      at: at(14, 12, [14, 17]),
      source: '  port     = 70000',
    }
    expect(formatDiagnostic(d, {snippet: true})).toBe(
      [
        'main.hcl:14:12: rule.web: port 70000 is out of range (1-65535)',
        '  14:   port     = 70000',
        '                 ^^^^^',
      ].join('\n'),
    )
    // Without the option (watch's one-line log): the first line only.
    expect(formatDiagnostic(d)).toBe('main.hcl:14:12: rule.web: port 70000 is out of range (1-65535)')
  })

  it('underlines the word at a block position, and the rest of the line for a span over lines', () => {
    const block: Diagnostic = {severity: 'error', summary: 's', at: at(1, 1), source: 'networks "frontend" {'}
    expect(formatDiagnostic(block, {snippet: true}).split('\n')[2]).toBe('     ^^^^^^^^')
    const multi: Diagnostic = {severity: 'error', summary: 's', at: at(3, 9, [5, 2]), source: '  ports = ['}
    expect(formatDiagnostic(multi, {snippet: true}).split('\n')[2]).toBe('             ^^^')
  })

  it('keeps the caret under its column past tabs and escaped control characters', () => {
    const d: Diagnostic = {severity: 'error', summary: 's', at: at(2, 5, [2, 8]), source: '\t\u0001x "bad"'}
    const [, line, caret] = formatDiagnostic(d, {snippet: true}).split('\n')
    expect(line).toBe('  2:  \\x01x "bad"')
    expect(caret).toBe(`${' '.repeat(line!.indexOf('"b'))}^^^`)
  })

  it('cuts a very long line around the caret', () => {
    const source = `  description = "${'x'.repeat(300)}" # end`
    const d: Diagnostic = {severity: 'error', summary: 's', at: at(1, 310, [1, 315]), source}
    const [, line, caret] = formatDiagnostic(d, {snippet: true}).split('\n')
    expect(line!.length).toBeLessThan(140)
    expect(line).toContain('…')
    expect(caret!.trim()).toBe('^^^^^')
  })

  it('escapes control characters in every part', () => {
    expect(escapeControl('a\u001b[2Jb\tc\nd\u0085\ud800')).toBe('a\\x1b[2Jb\\tc\\nd\\x85\\ud800')
    expect(escapeControl('one\ntwo', true)).toBe('one\ntwo')
  })
})

describe('renderError of a configuration', () => {
  it('prints each problem with its line, sorted by file and line', async () => {
    const r = await loadConfig({path: 'fixtures/config/validate-bad-invalid-cidr', env: {}})
    const f = 'fixtures/config/validate-bad-invalid-cidr/main.hcl'
    expect(renderError(new ConfigError(r.diagnostics))).toBe(
      [
        `${f}:2:12: network.frontend: subnet: "10.0.0.1/8" has host bits set; did you mean "10.0.0.0/8"?`,
        '  2:   subnet = "10.0.0.1/8"',
        '                ^^^^^^^^^^^^',
        '',
        `${f}:6:12: network.backend: subnet: "172.18.300.0/24" is not a valid IPv4 CIDR (expected a.b.c.d/len with len 0-32)`,
        '  6:   subnet = "172.18.300.0/24"',
        '                ^^^^^^^^^^^^^^^^^',
        '',
        `${f}:10:10: rule.office: from: "192.168.1.0/33" is not a valid IPv4 CIDR (expected a.b.c.d/len with len 0-32)`,
        '  10:   from = "192.168.1.0/33"',
        '               ^^^^^^^^^^^^^^^^',
        '',
        `${f}:11:10: rule.office: to: "10.8.0.1/24" has host bits set; did you mean "10.8.0.0/24"?`,
        '  11:   to   = "10.8.0.1/24"',
        '               ^^^^^^^^^^^^^',
        '',
        '4 errors in the configuration.',
        '',
      ].join('\n'),
    )
  })

  it('shows the first 20 of many and counts them all', () => {
    const diags: Diagnostic[] = Array.from({length: 1000}, (_, i) => ({
      severity: 'error',
      summary: 'Invalid expression',
      at: at(i + 1, 3),
    }))
    const out = renderError(new ConfigError(diags))
    expect(out.match(/Invalid expression/g)).toHaveLength(20)
    expect(out).toContain('… and 980 more (20 shown).')
    expect(out.trimEnd().endsWith('1000 errors in the configuration.')).toBe(true)
  })
})
