// A test per exit code per command (issue 14, item 2), cheap: the commands run in this
// process through oclif (the built manifest and dist/, `npm run build` first) wherever
// the code is decided before a host is touched: 0, 1 for a usage error (every command)
// and for a configuration error (every command that reads one), fmt's 2 and 3, import's
// 2 (a partial network-go conversion). The codes that need a Docker engine are asserted
// by the e2e tests named in E2E below. Every code that src/cli/exit-codes.ts documents
// for a command (and so --help and the README) must be covered by one or the other.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {Config} from '@oclif/core'
import {afterEach, beforeAll, describe, expect, it, vi} from 'vitest'

import {EXIT_CODES, exitCodesOf} from '../../../src/cli/exit-codes.js'
import {REPO_ROOT, runCli} from '../../helpers/cli.js'

let config: Config

beforeAll(async () => {
  config = await Config.load(join(REPO_ROOT, 'package.json'))
})

afterEach(() => {
  process.exitCode = undefined
  vi.restoreAllMocks()
})

interface Outcome {
  code: number
  out: string
}

/** Runs `dockwall ID ARGV` in this process; its exit code as the process would end with it. */
async function exitOf(id: string, argv: string[]): Promise<Outcome> {
  let out = ''
  const keep = (chunk: string | Uint8Array): boolean => {
    out += String(chunk)
    return true
  }
  vi.spyOn(process.stdout, 'write').mockImplementation(keep)
  vi.spyOn(process.stderr, 'write').mockImplementation(keep)
  process.exitCode = undefined
  try {
    await config.runCommand(id, argv)
    return {code: Number(process.exitCode ?? 0), out}
  } catch (error) {
    const exit = (error as {oclif?: {exit?: number}}).oclif?.exit
    return {code: exit ?? 1, out: `${out}${(error as Error).message}`}
  } finally {
    vi.restoreAllMocks()
  }
}

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'dockwall-exit-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text)
  return d
}

const GOOD = 'network "front" {\n  subnet = "10.99.0.0/24"\n}\n'
const UNFORMATTED = 'network "front" {\nsubnet = "10.99.0.0/24"\n}\n'
const BROKEN = 'network "front" {\n  subnet = \n'
const NO_DOCKER = ['--docker-host', 'unix:///nonexistent/docker.sock']

/** Codes asserted by e2e tests (they need a Docker engine), by command and code. */
const E2E: Readonly<Record<string, string>> = {
  'plan 0': 'test/e2e/cli.test.ts: plan --detailed-exitcode with nothing to do',
  'plan 2': 'test/e2e/cli.test.ts: plan --detailed-exitcode with changes (and a usage error then still exits 1)',
  'apply 0': 'test/e2e/cli.test.ts: apply -auto-approve',
  'destroy 0': 'test/e2e/cli.test.ts: apply -destroy; test/e2e/terraform-table.test.ts: destroy -auto-approve',
  'import 0': 'test/e2e/cli.test.ts: import ADDRESS ID',
  'watch 0': 'test/e2e/watch.test.ts: watch --once, and stopped by a signal',
  'graph 0': 'test/e2e/terraform-table.test.ts: dockwall graph',
  'show 0': 'test/e2e/terraform-table.test.ts: dockwall show',
  'explain 0': 'test/e2e/explain-cli.test.ts',
  'test 0': 'test/e2e/rehearse.test.ts',
  'state mv 0': 'test/unit/state/cli.test.ts',
  'state rm 0': 'test/unit/state/cli.test.ts',
  'state show 0': 'test/unit/state/cli.test.ts',
  'force-unlock 0': 'test/unit/state/cli.test.ts: force-unlock --force',
  'confirm 0': 'test/e2e/confirm.test.ts',
  // Detached by apply --confirm-within: its exit code reaches no one; what it does is tested.
  'rollback-timer 0': 'test/e2e/confirm.test.ts: the rollback it performs',
}

/** In-process cases: [command id, argv (a function: fresh directories per run), expected code, why]. */
const CASES: Array<[string, () => string[], number, string]> = [
  ['version', () => [], 0, 'prints the version'],
  ['validate', () => ['-c', dir({'main.hcl': GOOD})], 0, 'a valid configuration'],
  ['validate', () => ['-c', dir({'main.hcl': BROKEN})], 1, 'a configuration error'],
  ['fmt', () => [dir({'main.hcl': GOOD})], 0, 'nothing to change'],
  ['fmt', () => ['--check', dir({'main.hcl': GOOD})], 0, '--check, formatted'],
  ['fmt', () => [dir({'main.hcl': BROKEN})], 2, 'a file that does not parse'],
  ['fmt', () => ['--check', dir({'main.hcl': UNFORMATTED})], 3, '--check, not formatted'],
  ['state:list', () => ['--state', join(dir({}), 'none.json')], 0, 'no state: nothing managed'],
  [
    'import',
    () => {
      const d = dir({'networks.json': '{"policies": {}}'})
      return ['--from-networks-json', join(d, 'networks.json'), '--generate-config-out', join(d, 'out.hcl')]
    },
    2,
    'a partial network-go conversion',
  ],
  // A configuration error, found before any host is touched (here no Docker is even there).
  ...(['plan', 'apply', 'destroy', 'graph', 'test'] as const).map((id): [string, () => string[], number, string] => [
    id,
    () => ['-c', dir({'main.hcl': BROKEN}), ...NO_DOCKER],
    1,
    'a configuration error',
  ]),
  [
    'import',
    () => ['network.front', 'front', '-c', dir({'main.hcl': BROKEN}), ...NO_DOCKER],
    1,
    'a configuration error',
  ],
  [
    'explain',
    () => ['host', 'network.front', '--port', '80', '--planned', '-c', dir({'main.hcl': BROKEN}), ...NO_DOCKER],
    1,
    'a configuration error',
  ],
]

describe('exit codes, in this process', () => {
  it.each(CASES.map(([id, argv, code, why]) => [id.replace(':', ' '), code, why, id, argv] as const))(
    'dockwall %s exits %i: %s',
    async (_name, code, _why, id, argv) => {
      const r = await exitOf(id, argv())
      expect(r.code, r.out).toBe(code)
    },
  )

  it('every command exits 1 on a usage error (an unknown flag), naming it', async () => {
    const ids = config.commands.map((c) => c.id).filter((id) => config.findCommand(id)?.pluginName === 'dockwall')
    expect(ids).toEqual(expect.arrayContaining(['plan', 'apply', 'fmt', 'state:mv', 'rollback-timer']))
    const wrong: string[] = []
    for (const id of ids) {
      const r = await exitOf(id, ['--no-such-flag'])
      if (r.code !== 1 || !r.out.includes('--no-such-flag')) wrong.push(`${id}: exit ${r.code}: ${r.out.slice(0, 200)}`)
    }
    expect(wrong).toEqual([])
  })
})

describe('exit codes that end the process (watch exits through process.exit)', () => {
  it('watch --once exits 1 on a configuration error', async () => {
    const r = await runCli(['watch', '--once', '-c', dir({'main.hcl': BROKEN}), ...NO_DOCKER])
    expect(r.exitCode, r.stderr).toBe(1)
  })
})

describe('every documented code is asserted', () => {
  it('by a case above or by a named e2e test, for each command', () => {
    const covered = new Set([
      ...CASES.map(([id, , code]) => `${id.replace(':', ' ')} ${code}`),
      ...Object.keys(E2E),
      // Usage errors, every command (the test above), and watch's configuration error.
      ...config.commands.map((c) => `${c.id.replace(':', ' ')} 1`),
    ])
    const missing: string[] = []
    for (const c of config.commands.filter((x) => x.pluginName === 'dockwall')) {
      const id = c.id.replace(':', ' ')
      for (const doc of exitCodesOf(c.id)) if (!covered.has(`${id} ${doc.code}`)) missing.push(`${id} ${doc.code}`)
    }
    expect(missing).toEqual([])
    // The commands with codes of their own are all here.
    expect(Object.keys(EXIT_CODES).sort()).toEqual(['apply', 'fmt', 'import', 'plan', 'watch'])
  })
})
