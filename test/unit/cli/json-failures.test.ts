// Under --json, a failure is JSON on stdout too (issue 14, item 5): every command with the
// flag prints `terraform validate -json`'s diagnostics (without `valid`) and exits 1, for a
// usage error, a configuration error and a failure on the way to the host; people still get
// the text on stderr. On the built CLI (`npm run build` first); no Docker is needed: the
// socket named is not there.
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {REPO_ROOT, runCli} from '../../helpers/cli.js'

interface FailureDoc {
  format_version: string
  error_count: number
  warning_count: number
  diagnostics: {
    severity: string
    summary: string
    detail: string
    range?: {filename: string; start: {line: number; column: number; byte: number}}
  }[]
}

const NO_DOCKER = '--docker-host=unix:///nonexistent/docker.sock'

function dirWith(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockwall-json-fail-'))
  writeFileSync(join(dir, 'main.hcl'), text)
  return dir
}

/** apply and destroy print JSON lines (their events): the failure is one line of its own. */
const LINES = new Set(['apply', 'destroy'])

function failure(r: {stdout: string; stderr: string; exitCode: number}, id: string): FailureDoc {
  expect(r.exitCode, r.stderr).toBe(1)
  let doc: FailureDoc
  if (LINES.has(id)) {
    const lines = r.stdout.trimEnd().split('\n')
    const line = JSON.parse(lines.at(-1)!) as FailureDoc & {type: string; timestamp: string}
    expect(line.type).toBe('diagnostics')
    expect(Date.parse(line.timestamp)).not.toBeNaN()
    const {type: _t, timestamp: _ts, ...rest} = line
    doc = rest
  } else doc = JSON.parse(r.stdout) as FailureDoc
  expect(doc.format_version).toBe('1.0')
  expect(doc).not.toHaveProperty('valid')
  expect(doc.error_count).toBe(doc.diagnostics.filter((d) => d.severity === 'error').length)
  expect(doc.error_count).toBeGreaterThan(0)
  // The same failure as text, for the person who ran it.
  expect(r.stderr).toContain(doc.diagnostics[0]!.summary)
  return doc
}

/** Every command the manifest gives a --json flag, with arguments that get past oclif's parser. */
const JSON_COMMANDS: Record<string, string[]> = {
  plan: ['plan'],
  apply: ['apply', '--auto-approve'],
  destroy: ['destroy', '--auto-approve'],
  show: ['show'],
  explain: ['explain', 'container.a', 'container.b', '--port', '80'],
  test: ['test'],
  validate: ['validate'],
  version: ['version'],
  'state:list': ['state', 'list'],
  'state:show': ['state', 'show', 'network.a'],
  'state:mv': ['state', 'mv', 'network.a', 'network.b'],
  'state:rm': ['state', 'rm', 'network.a'],
  'force-unlock': ['force-unlock', '1234', '--force'],
}

beforeAll(() => {
  if (!existsSync(join(REPO_ROOT, 'dist/commands/version.js')))
    throw new Error('dist/ is missing: run `npm run build` before the CLI tests')
})

describe('--json failures are JSON on stdout', () => {
  it('the table covers every command that has --json', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, {flags: Record<string, unknown>}>
    }
    const withJson = Object.entries(manifest.commands)
      .filter(([, c]) => 'json' in c.flags)
      .map(([id]) => id)
      .sort()
    expect(Object.keys(JSON_COMMANDS).sort()).toEqual(withJson)
  })

  it.each(Object.entries(JSON_COMMANDS))('%s: a usage error (an unknown flag)', async (id, argv) => {
    const doc = failure(await runCli([...argv, '--json', '--no-such-flag']), id)
    expect(doc.diagnostics).toEqual([
      {severity: 'error', summary: 'Nonexistent flag: --no-such-flag', detail: 'See more help with --help'},
    ])
  })

  it.each(['plan', 'apply', 'destroy', 'test'])(
    '%s: a configuration error, with its range as validate -json gives it',
    async (id) => {
      const dir = dirWith('network "a" {\n  subnet = "10.0.0.0/33"\n}\n')
      const doc = failure(await runCli([...JSON_COMMANDS[id]!, '--json', NO_DOCKER], {cwd: dir}), id)
      expect(doc.diagnostics[0]).toMatchObject({
        severity: 'error',
        summary: expect.stringContaining('"10.0.0.0/33" is not a valid IPv4 CIDR'),
        range: {filename: 'main.hcl', start: {line: 2, column: 12, byte: 25}},
      })
    },
  )

  it.each(['plan', 'apply', 'explain'])('%s: a Docker engine that is not there', async (id) => {
    const dir = dirWith('network "a" {\n  subnet = "10.98.0.0/24"\n}\n')
    const doc = failure(await runCli([...JSON_COMMANDS[id]!, '--json', NO_DOCKER], {cwd: dir}), id)
    expect(doc.diagnostics).toHaveLength(1)
    expect(doc.diagnostics[0]!.summary).toMatch(/nonexistent\/docker\.sock|Docker/)
    expect(doc.diagnostics[0]).not.toHaveProperty('range')
  })

  it('state rm: a state file that is not there, the hint in detail', async () => {
    const dir = dirWith('')
    const doc = failure(
      await runCli(['state', 'rm', 'network.a', '--json', '--state', join(dir, 'none.json')]),
      'state:rm',
    )
    expect(doc.diagnostics[0]).toMatchObject({
      summary: `no state file at ${join(dir, 'none.json')}`,
      detail: expect.stringContaining('Try: pass --state PATH'),
    })
  })

  it('without --json a failure prints nothing on stdout', async () => {
    const dir = dirWith('network "a" {\n  subnet = "10.0.0.0/33"\n}\n')
    const r = await runCli(['plan', NO_DOCKER], {cwd: dir})
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('main.hcl:2:12')
  })

  it('--detailed-exitcode does not turn a usage error into 2: exit 1 and diagnostics', async () => {
    const doc = failure(await runCli(['plan', '--json', '--detailed-exitcode', '--bogus']), 'plan')
    expect(doc.diagnostics[0]!.summary).toBe('Nonexistent flag: --bogus')
  })

  it("Terraform's -json, with an unknown single-dash flag (refused before -json is rewritten)", async () => {
    const doc = failure(await runCli(['plan', '-json', '-bogus']), 'plan')
    expect(doc.diagnostics[0]!.summary).toMatch(/^unknown flag -bogus/)
  })
})
