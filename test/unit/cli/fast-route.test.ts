// bin/run.js's explain, plan and validate routes, and apply and destroy --auto-approve,
// without oclif (src/cli/fast-route.ts, issues 13 and 16).
// Every command line a route reads must give the flags oclif's parser gives, with the same
// environment; every other line is oclif's. A warning sends the line to oclif too, having
// printed nothing; an error is printed as BaseCommand.catch prints it.
import {createRequire} from 'node:module'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import {pathToFileURL} from 'node:url'

import {Config, Errors, Parser} from '@oclif/core'
import {afterEach, describe, expect, it, vi} from 'vitest'

import Apply from '../../../commands/apply.js'
import Destroy from '../../../commands/destroy.js'
import Explain from '../../../commands/explain.js'
import Plan from '../../../commands/plan.js'
import Validate from '../../../commands/validate.js'
import {runApply} from '../../../src/cli/apply-flow.js'
import {
  APPLY_FLAGS,
  DESTROY_FLAGS,
  EXPLAIN_FLAGS,
  ignoreEpipe,
  PLAN_FLAGS,
  ROUTED,
  runFastRoute,
  timerCommand,
  VALIDATE_FLAGS,
} from '../../../src/cli/fast-route.js'
import {plainFlags, readPlainLine, type PlainFlag} from '../../../src/cli/plain-argv.js'
import {planOutput} from '../../../src/cli/plan-flow.js'
import {renderError} from '../../../src/cli/render-error.js'
import {runValidate} from '../../../src/cli/validate-flow.js'
import {AbortError, ConfigError} from '../../../src/errors.js'
import {runExplain} from '../../../src/services/explain.js'

vi.mock('../../../src/cli/plan-flow.js', () => ({planOutput: vi.fn(), planIsInteractive: vi.fn(() => false)}))
vi.mock('../../../src/cli/validate-flow.js', () => ({runValidate: vi.fn(), runValidateJson: vi.fn()}))
vi.mock('../../../src/services/explain.js', () => ({runExplain: vi.fn()}))
vi.mock('../../../src/cli/apply-flow.js', () => ({runApply: vi.fn()}))

const ENV_VARS = ['DOCKWALL_NETNS', 'DOCKER_HOST', 'DOCKWALL_STATE']

type OclifCommand = typeof Plan | typeof Validate | typeof Explain | typeof Apply | typeof Destroy

/** oclif's parse of a command line (as Command.parse calls it), with `env` as process.env: its arguments and flags. */
async function oclifParse(cmd: OclifCommand, argv: string[], env: Record<string, string>): Promise<unknown> {
  const saved = {...process.env}
  for (const k of ENV_VARS) delete process.env[k]
  Object.assign(process.env, env)
  try {
    const r = await Parser.parse(argv, {flags: {...cmd.baseFlags, ...cmd.flags}, args: cmd.args, strict: true})
    // apply's optional planfile, absent, is no argument.
    return {args: Object.values(r.args).filter((a) => a !== undefined), flags: r.flags}
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  }
}

/** What the route reads of a line: its arguments and flags, or undefined (oclif's). */
function routeParse(table: Readonly<Record<string, PlainFlag>>, argv: string[], env: Record<string, string>, args = 0) {
  const line = readPlainLine(argv, table)
  if (!line || line.positional.length !== args) return undefined
  const flags = plainFlags(line, table, env)
  return flags && {args: line.positional, flags}
}

const EXPLAIN_READ: Array<[string[], Record<string, string>]> = [
  [['container.db', 'container.web', '--port', '80'], {}],
  [['db', 'web', '--port=8080', '--json'], {}],
  [['--port', '443', 'host', '10.0.0.1/24'], {}],
  [['host', 'container.db', '--proto', 'icmp', '--no-color'], {}],
  [['external:wg0', 'host', '--port', '0080', '--proto=udp', '--in-interface', 'wg0'], {}],
  [['a', 'b', '--port', '65535', '--netns', '/var/run/netns/x', '--docker-host', 'unix:///d.sock'], {}],
  [['a', 'b', '--port', '1', '--backend', 'legacy', '--config', 'conf', '--state', 's.json'], {}],
  [['a', 'b', '-c', 'dir', '--port', '80', '--var', 'x=1', '--lock-timeout', '5s', '--no-lock'], {}],
  [['a', 'b', '--port', '80'], {DOCKER_HOST: 'tcp://h:2375', DOCKWALL_NETNS: '/n', DOCKWALL_STATE: '/s'}],
  [
    ['a', 'b', '--port', '80', '--docker-host', 'unix:///x.sock', '--netns=/m'],
    {DOCKER_HOST: 'tcp://h:2375', DOCKWALL_NETNS: '/n'},
  ],
  [['a', 'b', '--port', '80'], {DOCKER_HOST: '', DOCKWALL_NETNS: '', DOCKWALL_STATE: ''}],
  [['a', 'b', '--port', '80', '--backend=auto', '--json', '--no-color'], {}],
]

const EXPLAIN_DECLINED: string[][] = [
  [],
  ['a'],
  ['a', 'b', 'c', '--port', '80'],
  ['a', 'b', '--port', '80', '--help'],
  ['a', 'b', '-h'],
  ['a', 'b', '--port', '80', '--port', '81'],
  ['a', 'b', '--port', '0'],
  ['a', 'b', '--port', '65536'],
  ['a', 'b', '--port', '-1'],
  ['a', 'b', '--port', '8o'],
  ['a', 'b', '--port'],
  ['a', 'b', '--port='],
  ['a', 'b', '--proto', 'sctp'],
  ['a', 'b', '--backend', 'iptables'],
  ['a', 'b', '-port=80'],
  ['a', 'b', '--port', '80', '--json=true'],
  ['a', 'b', '--port', '80', '--lock=false'],
  ['a', 'b', '--port', '80', '--bogus'],
  ['a', 'b', '--port', '80', '--', '-x'],
  ['-x', 'b', '--port', '80'],
  ['a', 'b', '--netns', '--port', '80'],
]

const PLAN_READ: Array<[string[], Record<string, string>]> = [
  [[], {}],
  [['--no-tty'], {}],
  [['-c', 'conf', '--state', 's.json', '--json'], {}],
  [['--config=conf', '--var', 'a=1', '--var=b=2', '--var-file', 'v.hcl', '--verbose'], {}],
  [['--target', 'rule.a', '--target=network.b', '--replace', 'network.b', '--detailed-exitcode'], {}],
  [['--no-lock', '--lock-timeout', '30s', '--backend', 'legacy', '--no-input'], {}],
  [['--lock', '--input', '--lock-timeout=2m', '--backend=auto', '--destroy', '--no-color'], {}],
  [['--refresh-only', '--netns', '/var/run/netns/x', '--docker-host', 'unix:///d.sock'], {}],
  [[], {DOCKER_HOST: 'tcp://h:2375', DOCKWALL_NETNS: '/n', DOCKWALL_STATE: '/s'}],
  [['--docker-host', 'unix:///x.sock', '--netns=/m'], {DOCKER_HOST: 'tcp://h:2375', DOCKWALL_NETNS: '/n'}],
  [[], {DOCKER_HOST: '', DOCKWALL_NETNS: '', DOCKWALL_STATE: ''}],
]

const PLAN_DECLINED: string[][] = [
  ['extra'],
  ['--help'],
  ['-h'],
  ['--out', 'x.plan'],
  ['-o', 'x.plan'],
  ['--bogus'],
  ['-json'],
  ['--json=true'],
  ['--lock=false'],
  ['--no-json'],
  ['--json', '--json'],
  ['--lock', '--no-lock'],
  ['-c', 'a', '--config', 'b'],
  ['-cdir'],
  ['-c'],
  ['--config='],
  ['--config', '--json'],
  ['--backend', 'iptables'],
  ['--lock-timeout', 'soon'],
  ['--', '--json'],
  ['-'],
]

const VALIDATE_READ: Array<[string[], Record<string, string>]> = [
  [[], {}],
  [['--json'], {}],
  [['-c', 'rules.hcl', '--var-file', 'prod.vars.hcl', '--no-color'], {}],
  [['--var', 'lan=10.0.0.0/8', '--var', 'x=y', '--config=etc'], {}],
]

const AUTO = '--auto-approve'
// Read as oclif reads them (whether the route then takes them is runFastRoute's test).
const APPLY_READ: Array<[string[], Record<string, string>]> = [
  [[AUTO], {}],
  [[AUTO, '--no-tty', '-c', 'conf', '--state', 's.json'], {}],
  [['--config=conf', '--var', 'a=1', '--var=b=2', '--var-file', 'v.hcl', '--verbose', AUTO], {}],
  [[AUTO, '--target', 'rule.a', '--target=network.b', '--replace', 'network.b', '--replace=attachment.x'], {}],
  [[AUTO, '--no-lock', '--lock-timeout', '30s', '--backend', 'legacy', '--no-input', '--confirm-within', 'off'], {}],
  [[AUTO, '--lock', '--input', '--lock-timeout=2m', '--backend=nft', '--no-color', '--parallelism', '8'], {}],
  [[AUTO, '--parallelism=1', '--allow-lockout', '--ssh-client', '10.0.0.5', '--confirm-within=90s'], {}],
  [[AUTO, '--ssh-client=[2001:db8::5]:22', '--parallelism', '0012', '--json'], {}],
  [['--destroy', AUTO, '--netns', '/var/run/netns/x', '--docker-host', 'unix:///d.sock'], {}],
  [['--refresh-only', AUTO], {}],
  [[], {}],
  [[AUTO], {DOCKER_HOST: 'tcp://h:2375', DOCKWALL_NETNS: '/n', DOCKWALL_STATE: '/s'}],
  [[AUTO, '--docker-host', 'unix:///x.sock', '--netns=/m'], {DOCKER_HOST: 'tcp://h:2375', DOCKWALL_NETNS: '/n'}],
  [[AUTO], {DOCKER_HOST: '', DOCKWALL_NETNS: '', DOCKWALL_STATE: ''}],
]

const DESTROY_READ: Array<[string[], Record<string, string>]> = [
  [[AUTO], {}],
  [[AUTO, '--no-tty', '-c', 'conf', '--state', 's.json', '--target', 'rule.a', '--verbose'], {}],
  [[AUTO, '--no-lock', '--confirm-within', 'off', '--parallelism', '2', '--no-input', '--no-color'], {}],
  [[AUTO, '--allow-lockout', '--ssh-client', '10.0.0.5:2222', '--lock-timeout', '5s', '--json'], {}],
  [[AUTO], {DOCKER_HOST: 'tcp://h:2375', DOCKWALL_NETNS: '/n', DOCKWALL_STATE: '/s'}],
]

const HOST_DECLINED: string[][] = [
  [AUTO, 'tonight.plan'],
  [AUTO, '--help'],
  [AUTO, '-h'],
  ['-auto-approve'],
  ['--auto-approve=true'],
  [AUTO, AUTO],
  [AUTO, '--lock=false'],
  [AUTO, '-lock=false'],
  [AUTO, '--parallelism', '0'],
  [AUTO, '--parallelism', '-1'],
  [AUTO, '--parallelism', 'four'],
  [AUTO, '--parallelism', '1.5'],
  [AUTO, '--parallelism', '2', '--parallelism', '3'],
  [AUTO, '--lock-timeout', 'soon'],
  [AUTO, '--backend', 'iptables'],
  [AUTO, '--confirm-within'],
  [AUTO, '--ssh-client', '-x'],
  [AUTO, '--no-auto-approve'],
  [AUTO, '--bogus'],
  [AUTO, '--', '--json'],
]

/** Each route's table, its oclif command, the lines it must read as oclif does, and its argument count. */
const READS: Array<[string, Readonly<Record<string, PlainFlag>>, OclifCommand, typeof PLAN_READ, number]> = [
  ['apply', APPLY_FLAGS, Apply, APPLY_READ, 0],
  ['destroy', DESTROY_FLAGS, Destroy, DESTROY_READ, 0],
  ['explain', EXPLAIN_FLAGS, Explain, EXPLAIN_READ, 2],
  ['plan', PLAN_FLAGS, Plan, PLAN_READ, 0],
  ['validate', VALIDATE_FLAGS, Validate, VALIDATE_READ, 0],
]

describe('the routes read plain lines as oclif does', () => {
  it.each(
    READS.flatMap(([name, table, cmd, lines, args]) =>
      lines.map(([argv, env]) => [name, argv, env, table, cmd, args] as const),
    ),
  )('%s %j (env %j)', async (_name, argv, env, table, cmd, args) => {
    const fast = routeParse(table, argv, env, args)
    expect(fast).toBeDefined()
    expect(fast).toEqual(await oclifParse(cmd, argv, env))
  })

  it.each(HOST_DECLINED)('leaves apply and destroy %j to oclif', (...argv) => {
    expect(routeParse(APPLY_FLAGS, argv, {})).toBeUndefined()
    expect(routeParse(DESTROY_FLAGS, argv, {})).toBeUndefined()
  })

  it.each([['--replace', 'network.a'], ['--destroy'], ['--refresh-only']])(
    'leaves destroy %j (apply’s flags) to oclif',
    (...argv) => {
      expect(routeParse(DESTROY_FLAGS, [AUTO, ...argv], {})).toBeUndefined()
      expect(routeParse(APPLY_FLAGS, [AUTO, ...argv], {})).toBeDefined()
    },
  )

  it.each(EXPLAIN_DECLINED)('leaves explain %j to oclif', (...argv) => {
    expect(routeParse(EXPLAIN_FLAGS, argv, {}, 2)).toBeUndefined()
  })

  it.each(PLAN_DECLINED)('leaves plan %j to oclif', (...argv) => {
    expect(routeParse(PLAN_FLAGS, argv, {})).toBeUndefined()
  })

  it.each([
    ['explain', Explain, EXPLAIN_FLAGS],
    ['plan', Plan, PLAN_FLAGS],
    ['validate', Validate, VALIDATE_FLAGS],
    ['apply', Apply, APPLY_FLAGS],
    ['destroy', Destroy, DESTROY_FLAGS],
  ] as const)('%s: the table mirrors every oclif flag it reads (--out is oclif’s)', (_, cmd, table) => {
    const oclif = {...cmd.baseFlags, ...cmd.flags} as Record<string, Record<string, unknown>>
    expect(Object.keys(table).sort()).toEqual(
      Object.keys(oclif)
        .filter((n) => n !== 'out')
        .sort(),
    )
    for (const [name, f] of Object.entries(table)) {
      const o = oclif[name] as {type: string; char?: string; multiple?: boolean; allowNo?: boolean; env?: string}
      expect({name, type: f.kind === 'boolean' ? 'boolean' : 'option'}).toEqual({name, type: o.type})
      if (f.kind === 'boolean') expect({name, allowNo: f.allowNo ?? false}).toEqual({name, allowNo: o.allowNo ?? false})
      else {
        expect({name, char: f.char, multiple: f.multiple ?? false, env: f.env}).toEqual({
          name,
          char: o.char,
          multiple: o.multiple ?? false,
          env: o.env,
        })
      }
    }
  })

  it('bin/run.js sends exactly the routed commands here', async () => {
    const {readFileSync} = await import('node:fs')
    const bin = readFileSync(new URL('../../../bin/run.js', import.meta.url), 'utf8')
    for (const id of ROUTED) expect(bin).toContain(`argv[0] === '${id}'`)
    expect([...ROUTED].sort()).toEqual(['apply', 'destroy', 'explain', 'plan', 'validate'])
  })
})

describe('runFastRoute', () => {
  afterEach(() => {
    vi.mocked(planOutput).mockReset()
    vi.mocked(runValidate).mockReset()
    vi.mocked(runExplain).mockReset()
    vi.restoreAllMocks()
    process.exitCode = undefined
  })

  const capture = () => ({
    out: vi.spyOn(process.stdout, 'write').mockImplementation(() => true),
    err: vi.spyOn(process.stderr, 'write').mockImplementation(() => true),
  })

  it('prints the plan and its exit code', async () => {
    vi.mocked(planOutput).mockResolvedValue({stdout: 'Plan: 1 to add\n', code: 2})
    const {out, err} = capture()
    expect(await runFastRoute(['plan', '--detailed-exitcode', '--no-tty'], {})).toBe(true)
    expect(out.mock.calls.map((c) => c[0])).toEqual(['Plan: 1 to add\n'])
    expect(err).not.toHaveBeenCalled()
    expect(process.exitCode).toBe(2)
  })

  it('prints an error as BaseCommand.catch does: text on stderr, and the diagnostics on stdout under --json', async () => {
    const error = new ConfigError([{severity: 'error', summary: 'bad CIDR'}])
    vi.mocked(planOutput).mockRejectedValue(error)
    const {out, err} = capture()
    expect(await runFastRoute(['plan'], {})).toBe(true)
    expect(err.mock.calls.map((c) => c[0])).toEqual([renderError(error)])
    expect(out).not.toHaveBeenCalled()
    expect(process.exitCode).toBe(1)
    expect(await runFastRoute(['plan', '--json'], {})).toBe(true)
    expect(JSON.parse(String(out.mock.calls[0]?.[0]))).toMatchObject({
      error_count: 1,
      diagnostics: [{severity: 'error', summary: 'bad CIDR'}],
    })
  })

  it('validate: the success line on stdout, warnings on stderr', async () => {
    vi.mocked(runValidate).mockImplementation(async (_flags, io) => {
      io.logToStderr('main.hcl:1:1: Warning: unused')
      io.log('Success! The configuration is valid: 1 file.')
    })
    const {out, err} = capture()
    expect(await runFastRoute(['validate', '-c', 'x'], {})).toBe(true)
    expect(out.mock.calls.map((c) => c[0])).toEqual(['Success! The configuration is valid: 1 file.\n'])
    expect(err.mock.calls.map((c) => c[0])).toEqual(['main.hcl:1:1: Warning: unused\n'])
    expect(vi.mocked(runValidate).mock.calls[0]?.[0]).toMatchObject({config: 'x'})
  })

  it('gives back, having printed nothing and restored the environment, a warning and a line oclif must read', async () => {
    const {out, err} = capture()
    vi.mocked(planOutput).mockImplementation(async (_flags, warn) => {
      warn('--lock=false: no lock')
      return {stdout: 'Plan\n', code: 0}
    })
    const env: NodeJS.ProcessEnv = {FORCE_COLOR: '1'}
    expect(await runFastRoute(['plan', '--no-lock', '--no-color'], env)).toBe(false)
    expect(env).toEqual({FORCE_COLOR: '1'})
    vi.mocked(planOutput).mockReset()
    expect(await runFastRoute(['plan', '--out', 'x.plan'], {})).toBe(false)
    expect(await runFastRoute(['plan', '--destroy', '--refresh-only'], {})).toBe(false)
    expect(await runFastRoute(['plan'], {DOCKWALL_NO_FAST_PATH: '1'})).toBe(false)
    expect(await runFastRoute(['plan'], {DEBUG: '*'})).toBe(false)
    expect(await runFastRoute(['graph'], {})).toBe(false)
    expect(planOutput).not.toHaveBeenCalled()
    expect(out).not.toHaveBeenCalled()
    expect(err).not.toHaveBeenCalled()
    expect(process.exitCode).toBeUndefined()
  })

  it('applies --no-color as BaseCommand.init does', async () => {
    vi.mocked(planOutput).mockResolvedValue({stdout: '', code: 0})
    capture()
    const env: NodeJS.ProcessEnv = {}
    expect(await runFastRoute(['plan', '--no-color'], env)).toBe(true)
    expect(env).toEqual({NO_COLOR: '1', FORCE_COLOR: '0'})
  })
})

describe('runFastRoute: explain', () => {
  const answer = {verdict: 'allow', summary: 'allow', flows: [], warnings: []}
  const mocked = vi.mocked(runExplain)
  afterEach(() => {
    mocked.mockReset()
    vi.restoreAllMocks()
    process.exitCode = undefined
  })

  it('prints the answer for a line it reads', async () => {
    mocked.mockResolvedValue(answer as never)
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    expect(await runFastRoute(['explain', 'host', '10.0.0.1', '--port', '80', '--json'], {})).toBe(true)
    expect(JSON.parse(String(write.mock.calls[0]?.[0]))).toMatchObject({verdict: 'allow'})
  })

  it('gives back --planned and a warning, having printed nothing; prints an error as BaseCommand.catch does', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    expect(await runFastRoute(['explain', 'host', '10.0.0.1', '--port', '80', '--planned'], {})).toBe(false)
    expect(mocked).not.toHaveBeenCalled()
    mocked.mockImplementationOnce(async (req) => {
      req.warn('configuration not loaded')
      return answer as never
    })
    const env: NodeJS.ProcessEnv = {FORCE_COLOR: '1'}
    expect(await runFastRoute(['explain', 'host', '10.0.0.1', '--port', '80', '--no-color'], env)).toBe(false)
    expect(env).toEqual({FORCE_COLOR: '1'})
    expect(write).not.toHaveBeenCalled()
    expect(err).not.toHaveBeenCalled()
    // tcp without a port: questionOf's error, printed as oclif's catch prints it.
    expect(await runFastRoute(['explain', 'host', '10.0.0.1'], {})).toBe(true)
    expect(err.mock.calls.map((c) => c[0])).toEqual([
      'Error: tcp needs a destination port\nTry: dockwall explain host 10.0.0.1 --port N\n',
    ])
    expect(process.exitCode).toBe(1)
  })
})

describe('ignoreEpipe', () => {
  it('ends quietly on a closed pipe, as oclif does, and rethrows anything else', () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream
    ignoreEpipe(stream)
    const epipe = Object.assign(new Error('write EPIPE'), {code: 'EPIPE'})
    expect(() => stream.emit('error', epipe)).not.toThrow()
    const other = Object.assign(new Error('write EIO'), {code: 'EIO'})
    expect(() => stream.emit('error', other)).toThrow('EIO')
  })

  it('is installed on stdout before the answer is written', async () => {
    vi.mocked(planOutput).mockResolvedValue({stdout: 'x\n', code: 0})
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const before = process.stdout.listenerCount('error')
    expect(await runFastRoute(['plan'], {})).toBe(true)
    const added = process.stdout.listeners('error').slice(before)
    expect(added).toHaveLength(1)
    for (const l of added) process.stdout.off('error', l as () => void)
    vi.mocked(planOutput).mockReset()
    vi.restoreAllMocks()
  })
})

describe('runFastRoute: apply and destroy', () => {
  const mocked = vi.mocked(runApply)
  // Each run adds ignoreEpipe's listener to stdout, as a process does once.
  const listeners = process.stdout.listeners('error')
  afterEach(() => {
    for (const l of process.stdout.listeners('error'))
      if (!listeners.includes(l)) process.stdout.off('error', l as () => void)
    mocked.mockReset()
    vi.restoreAllMocks()
    process.exitCode = undefined
  })

  /** Every write to stdout and stderr and every console.error (oclif's warn), in order. */
  const capture = () => {
    const writes: Array<[string, string]> = []
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    vi.spyOn(process.stdout, 'write').mockImplementation((c) => (writes.push(['stdout', String(c)]), true))
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => (writes.push(['stderr', String(c)]), true))
    vi.spyOn(console, 'error').mockImplementation((...a) => void writes.push(['console.error', a.join(' ')]))
    return {writes, exit}
  }

  it.each([
    [['apply', '--auto-approve', '--json']],
    [['apply', '--auto-approve', 'tonight.plan']],
    [['apply']],
    [['apply', '--no-tty']],
    [['apply', '--auto-approve', '--destroy']],
    [['apply', '--auto-approve', '--refresh-only']],
    [['destroy', '--no-tty']],
    [['destroy', '--auto-approve', '--json']],
    [['destroy', '--auto-approve', '--lock=false']],
  ])('gives back %j, having done and printed nothing', async (argv) => {
    const {writes, exit} = capture()
    const env: NodeJS.ProcessEnv = {NO_COLOR: '1'}
    expect(await runFastRoute(argv, env)).toBe(false)
    expect(env).toEqual({NO_COLOR: '1'})
    expect(mocked).not.toHaveBeenCalled()
    expect(writes).toEqual([])
    expect(exit).not.toHaveBeenCalled()
  })

  it.each(['OCLIF_COLUMNS', 'DEBUG', 'DOCKWALL_DEBUG', 'DOCKWALL_NO_FAST_PATH'])(
    'gives back a line with %s set',
    async (name) => {
      capture()
      expect(await runFastRoute(['apply', '--auto-approve', '--no-tty'], {[name]: '1'})).toBe(false)
      expect(mocked).not.toHaveBeenCalled()
    },
  )

  it('gives back an interactive line: stdout a terminal without --no-tty', async () => {
    capture()
    const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY')
    Object.defineProperty(process.stdout, 'isTTY', {value: true, configurable: true})
    try {
      expect(await runFastRoute(['apply', '--auto-approve'], {})).toBe(false)
      expect(await runFastRoute(['destroy', '--auto-approve'], {})).toBe(false)
      expect(mocked).not.toHaveBeenCalled()
      mocked.mockResolvedValue(undefined)
      expect(await runFastRoute(['destroy', '--auto-approve', '--no-tty'], {})).toBe(true)
      expect(mocked).toHaveBeenCalledTimes(1)
    } finally {
      if (tty) Object.defineProperty(process.stdout, 'isTTY', tty)
      else delete (process.stdout as {isTTY?: boolean}).isTTY
    }
  })

  it('runs apply and destroy with the flags oclif gives, the mode and no planfile', async () => {
    capture()
    mocked.mockResolvedValue(undefined)
    const argv = ['--auto-approve', '-c', 'conf', '--parallelism', '2', '--target', 'rule.a']
    expect(await runFastRoute(['apply', ...argv, '--replace', 'network.b'], {})).toBe(true)
    expect(await runFastRoute(['destroy', ...argv], {})).toBe(true)
    const apply = (await oclifParse(Apply, [...argv, '--replace', 'network.b'], {})) as {flags: unknown}
    const destroy = (await oclifParse(Destroy, argv, {})) as {flags: unknown}
    expect(mocked.mock.calls.map((c) => c.slice(0, 3))).toEqual([
      [apply.flags, 'normal', undefined],
      [destroy.flags, 'destroy', undefined],
    ])
    expect(process.exitCode).toBeUndefined()
  })

  it('streams: log lines and warnings as they come, the warning by oclif’s own warn', async () => {
    const {writes, exit} = capture()
    mocked.mockImplementation(async (_flags, _mode, _file, io) => {
      io.log('Plan: 1 to add')
      io.warn('--lock=false: no lock')
      process.stdout.write('progress\n')
      io.log('')
    })
    expect(await runFastRoute(['apply', '--auto-approve', '--no-lock', '--confirm-within', 'off'], {})).toBe(true)
    // What Command.warn prints without --json (console.error of oclif's pretty warning).
    const oclifWarn: string[] = []
    vi.mocked(console.error).mockImplementation((...a) => void oclifWarn.push(a.join(' ')))
    const config = await Config.load(pathToFileURL(join(process.cwd(), 'bin', 'run.js')).href)
    new Apply([], config).warn('--lock=false: no lock')
    expect(oclifWarn).toHaveLength(1)
    expect(writes).toEqual([
      ['stdout', 'Plan: 1 to add\n'],
      ['console.error', oclifWarn[0]],
      ['stdout', 'progress\n'],
      ['stdout', '\n'],
    ])
    expect(exit).not.toHaveBeenCalled()
    expect(process.exitCode).toBeUndefined()
  })

  it('prints a failure as BaseCommand.catch does for apply, and exits as oclif’s handle does', async () => {
    const {writes, exit} = capture()
    const error = new AbortError('state locked by pid 1', 'wait')
    mocked.mockRejectedValue(error)
    expect(await runFastRoute(['destroy', '--auto-approve'], {})).toBe(true)
    expect(writes).toEqual([['stderr', renderError(error)]])
    expect(process.exitCode).toBe(1)
    expect(exit).toHaveBeenCalledWith(1)
  })

  it('hands an oclif usage error (CLIError) to oclif’s handle, as BaseCommand.catch does', async () => {
    const {writes, exit} = capture()
    mocked.mockRejectedValue(new Errors.CLIError('refused', {exit: 1, suggestions: ['add --confirm-within off']}))
    expect(await runFastRoute(['apply', '--auto-approve', '--no-lock'], {})).toBe(true)
    expect(writes).toEqual([
      ['console.error', expect.stringMatching(/Error: refused\n.*Try this: add --confirm-within off/)],
    ])
    expect(exit).toHaveBeenCalledWith(1)
  })

  it('applies --no-color as BaseCommand.init does', async () => {
    capture()
    mocked.mockResolvedValue(undefined)
    const env: NodeJS.ProcessEnv = {}
    expect(await runFastRoute(['apply', '--auto-approve', '--no-color'], env)).toBe(true)
    expect(env).toEqual({NO_COLOR: '1', FORCE_COLOR: '0'})
  })
})

describe('timerCommand', () => {
  // BaseCommand.timerCommand() is protected: a subclass reads it.
  class Probe extends Apply {
    timer(): string[] {
      return this.timerCommand()
    }
  }

  it('is BaseCommand.timerCommand(), from the source and from the built file', async () => {
    // As bin/run.js starts oclif: execute({dir: import.meta.url}).
    const bin = join(process.cwd(), 'bin', 'run.js')
    const config = await Config.load(pathToFileURL(bin).href)
    const oclif = new Probe([], config).timer()
    expect(oclif).toEqual([process.execPath, join(config.root, 'bin', 'run.js'), 'rollback-timer'])
    expect(timerCommand()).toEqual(oclif)
    // The CommonJS file bin/run.js requires (packaging/bundle.mjs): its import.meta.url is its own.
    const built = createRequire(import.meta.url)(join(config.root, 'dist/src/cli/fast-route.cjs')) as {
      timerCommand: () => string[]
    }
    expect(built.timerCommand()).toEqual(oclif)
  })
})
