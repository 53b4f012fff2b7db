// --lock=false (Terraform's -lock=false, issue 14 item 3), on the built CLI (`npm run
// build` first) and without Docker: the commands that lock take none (they get past a
// lock another dockwall holds, and warn), and apply/destroy refuse it with the confirm
// window, whose rollback timer holds the lock, before reading anything. The e2e side
// (a plan and an apply that work without a lock) is test/e2e/lock-false.test.ts.
import {existsSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeAll, describe, expect, it} from 'vitest'

import {refuseUnlockedConfirm} from '../../../src/cli/apply-flow.js'
import type {SshSession} from '../../../src/services/ssh-session.js'
import {acquireLock, readLock, type Lock} from '../../../src/state/lock.js'
import {REPO_ROOT, runCli} from '../../helpers/cli.js'

const NO_DOCKER = ['--docker-host', 'unix:///nonexistent/docker.sock']
const OVER_SSH = {SSH_CONNECTION: '10.0.0.5 50000 10.0.0.1 22'}

function configDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockwall-nolock-'))
  writeFileSync(join(dir, 'main.hcl'), 'network "front" {\n  subnet = "10.99.0.0/24"\n}\n')
  return dir
}

beforeAll(() => {
  if (!existsSync(join(REPO_ROOT, 'dist/commands/plan.js')))
    throw new Error('dist/ is missing: run `npm run build` before the CLI tests')
})

describe('refuseUnlockedConfirm', () => {
  const ssh: SshSession = {family: 'ipv4', clientIp: '10.0.0.5', serverPort: 22, source: 'SSH_CONNECTION'}

  it('lets through the lock, and --lock=false without a confirm window', () => {
    expect(() => refuseUnlockedConfirm({'confirm-within': '2m'}, ssh, 'apply')).not.toThrow()
    expect(() => refuseUnlockedConfirm({lock: true}, ssh, 'apply')).not.toThrow()
    expect(() => refuseUnlockedConfirm({lock: false}, undefined, 'apply')).not.toThrow()
    for (const off of ['off', '0'])
      expect(() => refuseUnlockedConfirm({lock: false, 'confirm-within': off}, ssh, 'apply')).not.toThrow()
  })

  it('refuses --lock=false with an explicit window, and over SSH where the window is on by default', () => {
    expect(() => refuseUnlockedConfirm({lock: false, 'confirm-within': '90s'}, undefined, 'apply')).toThrow(
      /^--lock=false cannot be used with --confirm-within: --confirm-within 90s was given/,
    )
    expect(() => refuseUnlockedConfirm({lock: false}, ssh, 'destroy')).toThrow(
      /over SSH \(from 10\.0\.0\.5, by SSH_CONNECTION\) --confirm-within is on by default/,
    )
  })
})

describe('the built CLI', () => {
  let held: Lock | undefined
  afterEach(async () => {
    await held?.release()
    held = undefined
  })

  it.each([
    ['apply', ['apply', '-lock=false', '-confirm-within=2m', '--auto-approve'], {}],
    ['apply over SSH (the default window)', ['apply', '--lock=false', '--auto-approve'], OVER_SSH],
    ['destroy', ['destroy', '--no-lock', '--confirm-within', '30s', '--auto-approve'], {}],
  ])(
    '%s: --lock=false with the confirm window is a usage error (exit 1), before anything is read',
    async (_, args, env) => {
      const dir = configDir()
      const r = await runCli([...args, '-c', dir, ...NO_DOCKER], {cwd: dir, env})
      expect(r.exitCode).toBe(1)
      expect(r.stderr).toMatch(/--lock=false cannot be used with --confirm-within/)
      expect(r.stderr).toMatch(/add --confirm-within off/)
      // Nothing was read or written: not even the Docker socket was tried, no state, no lock.
      expect(r.stderr).not.toMatch(/Docker/)
      expect(readdirSync(dir)).toEqual(['main.hcl'])
    },
  )

  it.each([
    ['plan', ['plan', '-lock=false'], {}],
    [
      'apply with --confirm-within off, over SSH',
      ['apply', '-lock=false', '-confirm-within=off', '-auto-approve'],
      OVER_SSH,
    ],
    ['destroy', ['destroy', '--lock=false', '--auto-approve'], {}],
    ['import', ['import', '-lock=false', 'network.front', 'front'], {}],
    ['graph', ['graph', '--lock=false'], {}],
  ])('%s --lock=false takes no lock: it gets past one another dockwall holds, and warns', async (_, args, env) => {
    const dir = configDir()
    const state = join(dir, 'dockwall.state.json')
    held = await acquireLock(state, {timeoutMs: 0, operation: 'dockwall apply'})
    const r = await runCli([...args, '-c', dir, ...NO_DOCKER], {cwd: dir, env})
    expect(r.stderr).toMatch(/--lock=false: no state lock is taken, so another dockwall/)
    expect(r.stderr).not.toMatch(/state locked/)
    // It got as far as Docker (which is not there).
    expect(r.stderr).toMatch(/Cannot connect to the Docker Engine/)
    expect(r.exitCode).toBe(1)
    const lock = await readLock(state)
    expect(lock?.kind === 'held' && lock.info.id).toBe(held.info.id)
  })

  it('without --lock=false, the same plan stops at the held lock', async () => {
    const dir = configDir()
    held = await acquireLock(join(dir, 'dockwall.state.json'), {timeoutMs: 0, operation: 'dockwall apply'})
    const r = await runCli(['plan', '-c', dir, ...NO_DOCKER], {cwd: dir})
    expect(r.stderr).toMatch(/state locked by pid/)
    expect(r.exitCode).toBe(1)
  })

  it.each([['show'], ['watch', '--once']])(
    '%s has no --lock: -lock=false is refused naming those that have',
    async (...args) => {
      const r = await runCli([...args, '-lock=false'])
      expect(r.exitCode).toBe(1)
      expect(r.stderr).toMatch(/this command has no --lock: only plan, apply, destroy/)
    },
  )
})
