// bin/run.js's fast path (src/cli/fast-path.ts, issue 13): `--help` and `version` answered
// without loading oclif. Its answers must be oclif's, byte for byte: the built CLI (run
// `npm run build` first) is run with the fast path and without it (DOCKWALL_NO_FAST_PATH),
// for every command and topic in dist/help.json and for each spelling of a help request.
import {existsSync, readFileSync} from 'node:fs'

import {execa} from 'execa'
import {beforeAll, describe, expect, it} from 'vitest'

import {
  fastPathOutput,
  helpSubject,
  noColors,
  userAgent,
  NO_FAST_PATH_ENV,
  type PrerenderedHelp,
} from '../../../src/cli/fast-path.js'
import {DOCKWALL_VERSION} from '../../../src/version.js'

const HELP: PrerenderedHelp = {userAgent: userAgent(DOCKWALL_VERSION), help: {'': 'ROOT\n', plan: 'PLAN\n'}}
const PIPE = {stdoutIsTTY: false, env: {}, readHelp: () => HELP}

describe('helpSubject', () => {
  it('reads the plain shapes of a help request', () => {
    expect(helpSubject([])).toBe('')
    for (const h of ['help', '--help', '-h', '-help']) expect(helpSubject([h])).toBe('')
    expect(helpSubject(['plan', '--help'])).toBe('plan')
    expect(helpSubject(['state', 'list', '-h'])).toBe('state list')
    expect(helpSubject(['help', 'state', 'list'])).toBe('state list')
    expect(helpSubject(['-help', 'force-unlock'])).toBe('force-unlock')
  })

  it('leaves anything with a flag, a value or no help request to oclif', () => {
    expect(helpSubject(['plan'])).toBeUndefined()
    expect(helpSubject(['plan', '-c', 'dir', '--help'])).toBeUndefined()
    expect(helpSubject(['plan', '--help', '--help'])).toBeUndefined()
    expect(helpSubject(['state:list', '--help'])).toBeUndefined()
    expect(helpSubject(['--', '--help'])).toBeUndefined()
  })
})

describe('fastPathOutput', () => {
  it('prints the version command and prerendered help to a pipe', () => {
    expect(fastPathOutput(['version'], PIPE)).toMatch(/^dockwall v\S+\non \S+\n$/)
    expect(fastPathOutput([], PIPE)).toBe('ROOT\n')
    expect(fastPathOutput(['plan', '--help'], PIPE)).toBe('PLAN\n')
  })

  it('hands to oclif what it would print differently, or what was not prerendered', () => {
    expect(fastPathOutput(['version', '--json'], PIPE)).toBeUndefined()
    expect(fastPathOutput(['apply', '--help'], PIPE)).toBeUndefined()
    expect(fastPathOutput(['--help'], {...PIPE, stdoutIsTTY: true})).toBeUndefined()
    for (const env of [{OCLIF_COLUMNS: '120'}, {DEBUG: '*'}, {[NO_FAST_PATH_ENV]: '1'}, {CI: 'true'}]) {
      expect(fastPathOutput(['--help'], {...PIPE, env})).toBeUndefined()
    }
    expect(fastPathOutput(['version'], {...PIPE, env: {DEBUG: '*'}})).toBeUndefined()
    // Rendered by another Node (or dockwall) than this one: the root help's VERSION line differs.
    const stale = {...HELP, userAgent: 'dockwall/0.0.1 linux-x64 node-v1.0.0'}
    expect(fastPathOutput(['--help'], {...PIPE, readHelp: () => stale})).toBeUndefined()
    expect(fastPathOutput(['--help'], {...PIPE, readHelp: () => undefined})).toBeUndefined()
  })

  it('the version needs no help file, and holds on a terminal', () => {
    const readHelp = () => {
      throw new Error('read')
    }
    expect(fastPathOutput(['version'], {stdoutIsTTY: true, env: {}, readHelp})).toBeDefined()
  })

  it('knows when oclif writes no colours to a pipe', () => {
    expect(noColors({})).toBe(true)
    expect(noColors({NO_COLOR: '1', CI: 'true'})).toBe(true)
    expect(noColors({FORCE_COLOR: '0', COLORTERM: 'truecolor'})).toBe(true)
    expect(noColors({FORCE_COLOR: '1'})).toBe(false)
    expect(noColors({CI: 'true'})).toBe(false)
    expect(noColors({COLORTERM: 'truecolor'})).toBe(false)
    expect(noColors({TEAMCITY_VERSION: '2024'})).toBe(false)
  })
})

// ---- the built CLI: fast path against oclif --------------------------------------------

/** An environment without what the runner may set that changes oclif's output. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !['CI', 'COLORTERM', 'FORCE_COLOR', 'NO_COLOR', 'OCLIF_COLUMNS', 'DEBUG'].includes(k))
      env[k] = v
  return env
}

async function both(args: readonly string[], extra: Record<string, string> = {}) {
  const run = (env: Record<string, string>) =>
    execa('node', ['bin/run.js', ...args], {
      reject: false,
      env,
      extendEnv: false,
      timeout: 60_000,
      stripFinalNewline: false,
    })
  const [fast, oclif] = await Promise.all([
    run({...baseEnv(), ...extra}),
    run({...baseEnv(), ...extra, [NO_FAST_PATH_ENV]: '1'}),
  ])
  const shape = (r: typeof fast) => ({exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr})
  return {fast: shape(fast), oclif: shape(oclif)}
}

describe('the build', () => {
  it("the Dockerfile's build stage copies every packaging script `npm run build` runs", () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {scripts: {build: string}}
    const scripts = [...pkg.scripts.build.matchAll(/node (packaging\/\S+)/g)].map((m) => m[1])
    expect(scripts).toContain('packaging/prerender-help.mjs')
    const dockerfile = readFileSync('Dockerfile', 'utf8')
    for (const s of scripts) expect(dockerfile, s).toMatch(new RegExp(`^COPY .*${s}`, 'm'))
  })
})

describe('bin/run.js fast path, byte-identical to oclif', () => {
  let prerendered: PrerenderedHelp
  beforeAll(() => {
    if (!existsSync('dist/help.json')) throw new Error('dist/help.json is missing: run `npm run build` first')
    prerendered = JSON.parse(readFileSync('dist/help.json', 'utf8')) as PrerenderedHelp
  })

  it('prerenders the root, every command and every topic', () => {
    const manifest = JSON.parse(readFileSync('oclif.manifest.json', 'utf8')) as {commands: Record<string, unknown>}
    const subjects = Object.keys(prerendered.help)
    for (const id of Object.keys(manifest.commands)) expect(subjects).toContain(id.replaceAll(':', ' '))
    expect(subjects).toContain('')
    expect(subjects).toContain('state')
    expect(prerendered.userAgent).toBe(userAgent(DOCKWALL_VERSION))
  })

  it('every prerendered help, as `ID --help`', async () => {
    for (const subject of Object.keys(prerendered.help)) {
      const r = await both([...(subject === '' ? [] : subject.split(' ')), '--help'])
      expect(r.fast, subject).toEqual(r.oclif)
      expect(r.fast.stdout, subject).toBe(prerendered.help[subject])
    }
  }, 300_000)

  it('each spelling of a help request, and the version', async () => {
    const lines = [
      [],
      ['help'],
      ['-h'],
      ['-help'],
      ['-chdir=fixtures', '--help'],
      ['help', 'plan'],
      ['plan', '-h'],
      ['-help', 'state', 'list'],
      ['state', '--help'],
      ['version'],
      ['--version'],
      ['-v'],
      ['-version'],
      ['-chdir=fixtures', '-version'],
    ]
    for (const args of lines) {
      const r = await both(args)
      expect(r.fast, args.join(' ')).toEqual(r.oclif)
      expect(r.fast.exitCode, args.join(' ')).toBe(0)
    }
  }, 300_000)

  it('with colours asked for, oclif renders (and the output is the same either way)', async () => {
    const extras: Record<string, string>[] = [{CI: 'true'}, {FORCE_COLOR: '1'}, {NO_COLOR: '1'}, {FORCE_COLOR: '0'}]
    for (const extra of extras) {
      const r = await both(['--help'], extra)
      expect(r.fast, JSON.stringify(extra)).toEqual(r.oclif)
    }
  }, 300_000)
})
