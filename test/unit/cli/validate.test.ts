// `dockwall validate` end to end: the built CLI (run `npm run build` first) on the
// fixtures, asserting exit codes and the exact output.
import {existsSync, readFileSync} from 'node:fs'
import {mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {execa} from 'execa'
import {beforeAll, describe, expect, it} from 'vitest'

const ENV = {COLUMNS: '100', NO_COLOR: '1', FORCE_COLOR: '0'}

function dockwall(...args: string[]) {
  return execa('node', ['bin/run.js', ...args], {reject: false, env: ENV, extendEnv: true, timeout: 60_000})
}

beforeAll(() => {
  if (!existsSync('dist/commands/validate.js'))
    throw new Error('dist/ is missing: run `npm run build` before the CLI tests')
})

describe('dockwall validate', () => {
  it('exits 0 with one summary line for a valid configuration', async () => {
    const r = await dockwall('validate', '-c', 'fixtures/config/validate-good')
    expect(r.exitCode).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(
      'Success! The configuration is valid: 4 files, 2 networks, 3 containers, 5 rules, 3 port forwards, 2 masquerades.',
    )
  })

  it('validates the network-go sample', async () => {
    const r = await dockwall('validate', '--config', 'fixtures/config/network-go')
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toBe(
      'Success! The configuration is valid: 1 file, 2 networks, 2 containers, 1 rule, 1 port forward, 0 masquerades.',
    )
  })

  it('prints every semantic error as file:line:column: address: message, with the line and a caret, and exits 1', async () => {
    const r = await dockwall('validate', '-c', 'fixtures/config/validate-bad-unknown-reference')
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toBe('')
    const f = 'fixtures/config/validate-bad-unknown-reference/main.hcl'
    expect(r.stderr).toBe(
      [
        `${f}:14:10: rule.lan_to_lb: reference to undeclared variable var.lann; did you mean var.lan?`,
        '  14:   from = var.lann',
        '               ^^^^^^^^',
        '',
        `${f}:15:10: rule.lan_to_lb: reference to undeclared container container.lbb; did you mean container.lb?`,
        '  15:   to   = container.lbb',
        '               ^^^^^^^^^^^^^',
        '',
        `${f}:19:12: masquerade.out: reference to undeclared network network.frontnd; did you mean network.frontend?`,
        '  19:   source = network.frontnd',
        '                 ^^^^^^^^^^^^^^^',
        '',
        '3 errors in the configuration.',
      ].join('\n'),
    )
  })

  it("prints syntax errors as file:line:column: message, with the parser's explanation", async () => {
    const r = await dockwall('validate', '-c', 'fixtures/config/validate-bad-syntax-missing-value')
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toBe(
      [
        'fixtures/config/validate-bad-syntax-missing-value/main.hcl:3:12: Invalid expression',
        '  3:   gateway =',
        '                ^',
        '  Expected the start of an expression, but found an invalid expression token.',
        '',
        '1 error in the configuration.',
      ].join('\n'),
    )
    const j = await dockwall('validate', '-c', 'fixtures/config/validate-bad-json-syntax/main.hcl.json')
    expect(j.exitCode).toBe(1)
    expect(j.stderr).toContain(
      'fixtures/config/validate-bad-json-syntax/main.hcl.json:5:5: Expected a property name in double quotes (JSON allows no trailing comma)',
    )
  })

  it('reads binary garbage as a file with errors: positions, escaped text, exit 1, nothing written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dockwall-cli-'))
    try {
      const bytes = Buffer.from(Array.from({length: 4096}, (_, i) => (i * 7919 + 13) % 256))
      await writeFile(join(dir, 'junk.hcl'), bytes)
      const r = await dockwall('validate', '-c', dir)
      expect(r.exitCode).toBe(1)
      expect(r.stderr).not.toContain('a bug in dockwall')
      expect(r.stderr).toMatch(new RegExp(`^${dir}/junk\\.hcl:\\d+:\\d+: `))
      expect(r.stderr).toMatch(/\d+ errors? in the configuration\.$/)
      // eslint-disable-next-line no-control-regex
      expect(r.stderr.replaceAll('\n', '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
      expect(await readdir(dir)).toEqual(['junk.hcl'])
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it('bad assert blocks, HCL and JSON: file:line:column for each, exit 1, nothing written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dockwall-cli-'))
    try {
      await writeFile(
        join(dir, 'main.hcl'),
        [
          'container "web" {}',
          '',
          'assert "ghost" {',
          '  from   = container.nope',
          '  to     = container.web',
          '  port   = 80',
          '  expect = "allow"',
          '}',
          '',
          'assert "maybe" {',
          '  from   = "host"',
          '  to     = container.web',
          '  port   = 80',
          '  expect = "maybe"',
          '}',
          '',
        ].join('\n'),
      )
      await writeFile(
        join(dir, 'more.hcl.json'),
        `${JSON.stringify({assert: {far: {from: 'host', to: '${container.web}', port: 70000, expect: 'deny'}}}, null, 2)}\n`,
      )
      const r = await dockwall('validate', '-c', dir)
      expect(r.exitCode).toBe(1)
      expect(r.stdout).toBe('')
      const lines = r.stderr.split('\n').filter((l) => l.startsWith(dir))
      expect(lines).toEqual([
        `${dir}/main.hcl:4:12: assert.ghost: reference to undeclared container container.nope (no container block has the label "nope")`,
        expect.stringMatching(new RegExp(`^${dir}/main\\.hcl:14:12: assert\\.maybe: .*"allow".*"deny"`)),
        `${dir}/more.hcl.json:6:15: assert.far: port: port 70000 is out of range (1-65535)`,
      ])
      expect(r.stderr).toMatch(/3 errors in the configuration\.$/)
      expect((await readdir(dir)).sort()).toEqual(['main.hcl', 'more.hcl.json'])
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it('applies --var and reports unknown ones without a position', async () => {
    const ok = await dockwall(
      'validate',
      '-c',
      'fixtures/config/validate-good',
      '--var',
      'env=staging',
      '--var',
      'web_ports=[8080]',
    )
    expect(ok.exitCode).toBe(0)
    const bad = await dockwall('validate', '-c', 'fixtures/config/validate-good', '--var', 'lann=10.0.0.0/8')
    expect(bad.exitCode).toBe(1)
    expect(bad.stderr).toBe(
      'Error: --var lann: no variable "lann" is declared; did you mean "lan"?\n\n1 error in the configuration.',
    )
  })

  it('prints warnings on stderr and still succeeds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dockwall-cli-'))
    try {
      await writeFile(
        join(dir, 'a.hcl'),
        'network "n" {\n  subnet = "10.1.0.0/24"\n}\n\ncontainer "lb" {\n  network "n" {\n    ipv4_address = "10.1.0.1"\n  }\n}\n',
      )
      const r = await dockwall('validate', '-c', dir)
      expect(r.exitCode).toBe(0)
      expect(r.stderr).toBe(
        [
          `${dir}/a.hcl:7:20: warning: container.lb.network.n: ipv4_address 10.1.0.1 is the address Docker gives the gateway when none is set; set gateway on network.n or pick another address`,
          '  7:     ipv4_address = "10.1.0.1"',
          '                        ^^^^^^^^^^',
        ].join('\n'),
      )
      expect(r.stdout).toMatch(/^Success!/)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it('--json prints terraform validate -json: every error with its range in lines, columns and bytes, exit 1', async () => {
    const r = await dockwall('validate', '--json', '-c', 'fixtures/config/validate-bad-unknown-reference')
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toBe('')
    const f = 'fixtures/config/validate-bad-unknown-reference/main.hcl'
    const text = readFileSync(f, 'utf8')
    // The byte offsets must point at what the range names: `var.lann` at 14:10.
    const byteOf = (needle: string): number => Buffer.byteLength(text.slice(0, text.indexOf(needle)), 'utf8')
    const out = JSON.parse(r.stdout) as {diagnostics: unknown[]}
    expect(out).toMatchObject({format_version: '1.0', valid: false, error_count: 3, warning_count: 0})
    expect(out.diagnostics[0]).toEqual({
      severity: 'error',
      summary: 'reference to undeclared variable var.lann; did you mean var.lan?',
      detail: '',
      address: 'rule.lan_to_lb',
      range: {
        filename: f,
        start: {line: 14, column: 10, byte: byteOf('var.lann')},
        end: {line: 14, column: 18, byte: byteOf('var.lann') + 'var.lann'.length},
      },
    })
    expect(out.diagnostics).toHaveLength(3)
  })

  it('--json on a valid configuration: valid, no diagnostics, exit 0', async () => {
    const r = await dockwall('validate', '-json', '-c', 'fixtures/config/network-go')
    expect(r.exitCode).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({
      format_version: '1.0',
      valid: true,
      error_count: 0,
      warning_count: 0,
      diagnostics: [],
    })
  })

  it('--json on a syntax error and on a missing directory: JSON on stdout, exit 1', async () => {
    const syntax = await dockwall('validate', '--json', '-c', 'fixtures/config/validate-bad-syntax-unclosed-brace')
    expect(syntax.exitCode).toBe(1)
    const s = JSON.parse(syntax.stdout) as {valid: boolean; diagnostics: {range?: {start: {line: number}}}[]}
    expect(s.valid).toBe(false)
    expect(s.diagnostics[0]?.range?.start.line).toBeGreaterThan(0)
    const missing = await dockwall('validate', '--json', '-c', 'fixtures/config/no-such-directory')
    expect(missing.exitCode).toBe(1)
    const m = JSON.parse(missing.stdout) as {error_count: number; diagnostics: {summary: string; range?: unknown}[]}
    expect(m.error_count).toBe(1)
    expect(m.diagnostics[0]?.summary).toContain('no-such-directory')
    expect(m.diagnostics[0]?.range).toBeUndefined()
  })

  it('has help with flags and examples', async () => {
    const r = await dockwall('validate', '--help')
    expect(r.exitCode).toBe(0)
    for (const s of [
      'USAGE',
      '$ dockwall validate',
      '-c, --config=DIR|FILE',
      '--var=NAME=VALUE...',
      '--var-file=FILE...',
      'EXAMPLES',
      'dockwall validate -c /etc/dockwall --var lan=10.0.0.0/8',
    ]) {
      expect(r.stdout).toContain(s)
    }
  })
})
