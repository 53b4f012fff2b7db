import {describe, expect, it} from 'vitest'

import {ExternalError} from '../../../src/errors.js'
import {commandLine, onPath, run} from '../../../src/util/exec.js'

describe('commandLine', () => {
  it('dieWithParent: setpriv --pdeathsig KILL outermost, then nsenter (which execs without forking), then the program', () => {
    expect(
      commandLine('iptables-nft-restore', ['--wait=10', '--noflush'], {
        netns: {kind: 'path', path: '/run/netns/x'},
        dieWithParent: true,
      }),
    ).toEqual({
      spawn: [
        'setpriv',
        '--pdeathsig',
        'KILL',
        '--',
        'nsenter',
        '--net=/run/netns/x',
        '--',
        'iptables-nft-restore',
        '--wait=10',
        '--noflush',
      ],
      shown: ['nsenter', '--net=/run/netns/x', '--', 'iptables-nft-restore', '--wait=10', '--noflush'],
    })
    expect(commandLine('iptables-legacy-save', [], {netns: {kind: 'pid', pid: 7}, dieWithParent: true}).spawn).toEqual([
      'setpriv',
      '--pdeathsig',
      'KILL',
      '--',
      'nsenter',
      '-t',
      '7',
      '-n',
      '--',
      'iptables-legacy-save',
    ])
  })

  it('without it: the program alone (or behind nsenter)', () => {
    expect(commandLine('ip', ['route'])).toEqual({spawn: ['ip', 'route'], shown: ['ip', 'route']})
  })
})

describe('run with dieWithParent', () => {
  it('runs the program through setpriv and reports the command without it', async () => {
    // setpriv execs the program in place: its stdin and stdout are the program's.
    const r = await run('cat', [], {input: 'through setpriv\n', dieWithParent: true})
    expect(r.stdout).toBe('through setpriv\n')
    expect(r.command).toEqual(['cat'])
    const err = await run('false', [], {dieWithParent: true}).catch((error: unknown) => error)
    expect(err).toBeInstanceOf(ExternalError)
    expect((err as ExternalError).command).toEqual(['false'])
  })
})

describe('without setpriv on the host', () => {
  it('runs the program itself, as before, rather than fail to start it', () => {
    expect(commandLine('iptables-nft-restore', ['--noflush'], {dieWithParent: true}, () => false).spawn).toEqual([
      'iptables-nft-restore',
      '--noflush',
    ])
  })

  it('finds an executable on PATH, and nothing in empty or missing directories', () => {
    expect(onPath('sh', '/nonexistent:/bin:/usr/bin')).toBe(true)
    expect(onPath('sh', '/nonexistent::')).toBe(false)
    expect(onPath('setpriv-not-here', process.env.PATH)).toBe(false)
    expect(onPath('sh', undefined)).toBe(false)
  })
})
