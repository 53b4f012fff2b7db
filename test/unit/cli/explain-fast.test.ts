// bin/run.js's explain route without oclif (src/cli/explain-fast.ts, issue 16). Every
// command line it reads must give the arguments and flags oclif's parser gives, with the
// same environment; every other line is oclif's. An answer with a warning or an error is
// oclif's too: the route prints nothing and leaves the environment as it found it.
import {PassThrough} from 'node:stream'

import {Parser} from '@oclif/core'
import {afterEach, describe, expect, it, vi} from 'vitest'

import Explain from '../../../commands/explain.js'
import {explainArgv, ignoreEpipe, runExplainFast} from '../../../src/cli/explain-fast.js'
import {runExplain} from '../../../src/services/explain.js'

vi.mock('../../../src/services/explain.js', () => ({runExplain: vi.fn()}))

/** oclif's parse of an explain line (as Command.parse calls it), with `env` as process.env. */
async function oclifParse(argv: string[], env: Record<string, string>): Promise<unknown> {
  const saved = {...process.env}
  for (const k of ['DOCKWALL_NETNS', 'DOCKER_HOST', 'DOCKWALL_STATE']) delete process.env[k]
  Object.assign(process.env, env)
  try {
    const r = await Parser.parse(argv, {
      flags: {...Explain.baseFlags, ...Explain.flags},
      args: Explain.args,
      strict: true,
    })
    return {from: r.args.from, to: r.args.to, flags: r.flags}
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  }
}

const READ: Array<[string[], Record<string, string>]> = [
  [['container.db', 'container.web', '--port', '80'], {}],
  [['db', 'web', '--port=8080', '--json'], {}],
  [['--port', '443', 'host', '10.0.0.1/24'], {}],
  [['host', 'container.db', '--proto', 'icmp', '--no-color'], {}],
  [['external:wg0', 'host', '--port', '0080', '--proto=udp', '--in-interface', 'wg0'], {}],
  [['a', 'b', '--port', '65535', '--netns', '/var/run/netns/x', '--docker-host', 'unix:///d.sock'], {}],
  [['a', 'b', '--port', '1', '--backend', 'legacy', '--config', 'conf', '--state', 's.json'], {}],
  [['a', 'b', '--port', '80'], {DOCKER_HOST: 'tcp://h:2375', DOCKWALL_NETNS: '/n', DOCKWALL_STATE: '/s'}],
  [
    ['a', 'b', '--port', '80', '--docker-host', 'unix:///x.sock', '--netns=/m'],
    {DOCKER_HOST: 'tcp://h:2375', DOCKWALL_NETNS: '/n'},
  ],
  [['a', 'b', '--port', '80'], {DOCKER_HOST: '', DOCKWALL_NETNS: '', DOCKWALL_STATE: ''}],
  [['a', 'b', '--port', '80', '--backend=auto', '--json', '--no-color'], {}],
]

const DECLINED: string[][] = [
  [],
  ['a'],
  ['a', 'b', 'c', '--port', '80'],
  ['a', 'b', '--port', '80', '--help'],
  ['a', 'b', '-h'],
  ['a', 'b', '--port', '80', '--planned'],
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
  ['a', 'b', '-c', 'dir', '--port', '80'],
  ['a', 'b', '--port', '80', '--json=true'],
  ['a', 'b', '--port', '80', '--var', 'x=1'],
  ['a', 'b', '--port', '80', '--lock=false'],
  ['a', 'b', '--port', '80', '--lock-timeout', '5s'],
  ['a', 'b', '--port', '80', '--bogus'],
  ['a', 'b', '--port', '80', '--', '-x'],
  ['-x', 'b', '--port', '80'],
  ['a', 'b', '--netns', '--port', '80'],
]

describe('explainArgv', () => {
  it.each(READ)('reads %j as oclif does (env %j)', async (argv, env) => {
    const fast = explainArgv(argv, env)
    expect(fast).toBeDefined()
    expect(fast).toEqual(await oclifParse(argv, env))
  })

  it.each(DECLINED)('leaves %j to oclif', (...argv) => {
    expect(explainArgv(argv, {})).toBeUndefined()
  })
})

describe('runExplainFast', () => {
  const answer = {verdict: 'allow', summary: 'allow', flows: [], warnings: []}
  const mocked = vi.mocked(runExplain)
  afterEach(() => {
    mocked.mockReset()
    vi.restoreAllMocks()
  })

  it('prints the answer for a line it reads', async () => {
    mocked.mockResolvedValue(answer as never)
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const env: NodeJS.ProcessEnv = {}
    expect(await runExplainFast(['explain', 'host', '10.0.0.1', '--port', '80', '--json'], env)).toBe(true)
    expect(JSON.parse(String(write.mock.calls[0]?.[0]))).toMatchObject({verdict: 'allow'})
  })

  it('gives back, having printed nothing, a line oclif must read, an error and a warning', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    expect(await runExplainFast(['explain', 'host', '10.0.0.1', '--port', '80', '--planned'], {})).toBe(false)
    expect(await runExplainFast(['explain', 'host', '10.0.0.1', '--port', '80'], {DEBUG: '*'})).toBe(false)
    expect(await runExplainFast(['explain', 'host', '10.0.0.1', '--port', '80'], {DOCKWALL_DEBUG: '1'})).toBe(false)
    expect(await runExplainFast(['explain', 'host', '10.0.0.1', '--port', '80'], {DOCKWALL_NO_FAST_PATH: '1'})).toBe(
      false,
    )
    expect(mocked).not.toHaveBeenCalled()
    // tcp without a port: questionOf's error, which oclif's catch prints.
    expect(await runExplainFast(['explain', 'host', '10.0.0.1'], {})).toBe(false)
    mocked.mockRejectedValueOnce(new Error('Docker is not running'))
    expect(await runExplainFast(['explain', 'host', '10.0.0.1', '--port', '80'], {})).toBe(false)
    mocked.mockImplementationOnce(async (req) => {
      req.warn('configuration not loaded')
      return answer as never
    })
    const env: NodeJS.ProcessEnv = {FORCE_COLOR: '1'}
    expect(await runExplainFast(['explain', 'host', '10.0.0.1', '--port', '80', '--no-color'], env)).toBe(false)
    // The colour choice --no-color made is undone for oclif, which makes it again.
    expect(env).toEqual({FORCE_COLOR: '1'})
    expect(write).not.toHaveBeenCalled()
  })

  it('applies --no-color as BaseCommand.init does', async () => {
    mocked.mockResolvedValue(answer as never)
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const env: NodeJS.ProcessEnv = {}
    expect(await runExplainFast(['explain', 'host', '10.0.0.1', '--port', '80', '--no-color'], env)).toBe(true)
    expect(env).toEqual({NO_COLOR: '1', FORCE_COLOR: '0'})
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
    vi.mocked(runExplain).mockResolvedValue({verdict: 'allow', summary: 'allow', flows: [], warnings: []} as never)
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const before = process.stdout.listenerCount('error')
    expect(await runExplainFast(['explain', 'host', '10.0.0.1', '--port', '80'], {})).toBe(true)
    const added = process.stdout.listeners('error').slice(before)
    expect(added).toHaveLength(1)
    for (const l of added) process.stdout.off('error', l as () => void)
    vi.mocked(runExplain).mockReset()
  })
})
