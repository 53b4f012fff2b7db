// The state commands as a user runs them: the built CLI (`npm run build` first; `npm
// test` does it), in its own process, checking stdout, stderr and the exit code.
import {existsSync} from 'node:fs'
import {readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import process from 'node:process'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'
import {beforeAll, describe, expect, it} from 'vitest'

import {encodeState, resourceOnDisk} from '../../../src/state/format.js'
import {acquireLock, readLock} from '../../../src/state/lock.js'
import {readState, writeState} from '../../../src/state/store.js'
import {makeTmpDir, network, rule, sampleState} from './helpers.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const bin = join(root, 'bin/run.js')

beforeAll(() => {
  if (!existsSync(join(root, 'dist/commands/state/list.js')))
    throw new Error('the CLI is not built: run `npm run build` first')
})

/** Runs `dockwall ARGS` in `cwd`, with a fixed terminal and no inherited DOCKWALL_STATE. */
async function dockwall(cwd: string, args: string[], env: Record<string, string> = {}) {
  const {DOCKWALL_STATE: _ignored, ...rest} = process.env
  const r = await execa(process.execPath, [bin, ...args], {
    cwd,
    reject: false,
    env: {...rest, COLUMNS: '100', NO_COLOR: '1', ...env},
    extendEnv: false,
  })
  return {stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode}
}

const sample = () =>
  sampleState([
    network('frontend'),
    rule('web'),
    rule('ssh'),
    {
      address: 'container.lb.network.frontend',
      type: 'attachment',
      ids: {container_id: 'c1'},
      attributes: {ipv4_address: '172.18.0.2'},
    },
    {address: 'container.lb.route["10.8.0.0/24"]', type: 'route', ids: {}, attributes: {via: '172.18.0.1'}},
  ])

/** A directory holding dockwall.state.json (the default path) with the sample state. */
async function withState(): Promise<{dir: string; path: string}> {
  const dir = await makeTmpDir()
  const path = join(dir, 'dockwall.state.json')
  await writeState(path, sample(), null)
  return {dir, path}
}

describe('dockwall state list', () => {
  it('prints one address per line, sorted, from ./dockwall.state.json', async () => {
    const {dir} = await withState()
    const r = await dockwall(dir, ['state', 'list'])
    expect(r).toEqual({
      exitCode: 0,
      stderr: '',
      stdout: [
        'container.lb.network.frontend',
        'container.lb.route["10.8.0.0/24"]',
        'network.frontend',
        'rule.ssh',
        'rule.web',
      ].join('\n'),
    })
  })

  it('reads --state, then DOCKWALL_STATE', async () => {
    const {path} = await withState()
    const elsewhere = await makeTmpDir()
    expect((await dockwall(elsewhere, ['state', 'list', '--state', path])).stdout).toContain('rule.web')
    expect((await dockwall(elsewhere, ['state', 'list'], {DOCKWALL_STATE: path})).stdout).toContain('rule.web')
  })

  it('prints JSON with --json', async () => {
    const {dir, path} = await withState()
    const r = await dockwall(dir, ['state', 'list', '--json'])
    expect(r.exitCode).toBe(0)
    const state = await readState(path)
    expect(JSON.parse(r.stdout)).toEqual({
      state: 'dockwall.state.json',
      serial: 1,
      lineage: state?.lineage,
      resources: state?.resources.map((x) => ({address: x.address, type: x.type})),
    })
  })

  it('says there is nothing when there is no state file, and succeeds', async () => {
    const r = await dockwall(await makeTmpDir(), ['state', 'list'])
    expect(r).toEqual({
      exitCode: 0,
      stdout: '',
      stderr: 'No state file at dockwall.state.json: dockwall manages nothing there yet.',
    })
  })

  it('fails with exit code 1 on an invalid state file, naming it and the field', async () => {
    const dir = await makeTmpDir()
    const raw = JSON.parse(encodeState(sample()))
    raw.resources[0].type = 'container'
    await writeFile(join(dir, 'dockwall.state.json'), JSON.stringify(raw))
    const r = await dockwall(dir, ['state', 'list'])
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(
      /^Error: state file dockwall\.state\.json is invalid:\n {2}resources\[0\] \(container\.lb\.network\.frontend\)\.type: Invalid option: expected one of "network"\|/,
    )
    expect(r.stderr).toMatch(/\nTry: fix the field, or restore dockwall\.state\.json\.backup\n?$/)
  })

  it('refuses a state file from a newer dockwall', async () => {
    const dir = await makeTmpDir()
    await writeFile(
      join(dir, 'dockwall.state.json'),
      JSON.stringify({version: 2, dockwall_version: '3.0.0', resources: {}}),
    )
    const r = await dockwall(dir, ['state', 'list'])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(
      /^Error: state file dockwall\.state\.json was written by a newer dockwall \(dockwall 3\.0\.0, format 2\); upgrade dockwall\n/,
    )
  })
})

describe('dockwall state show', () => {
  it('prints ids, attributes and lines as text', async () => {
    const {dir} = await withState()
    const r = await dockwall(dir, ['state', 'show', 'rule.web'])
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toBe(
      [
        '# rule.web (rule)',
        'attributes:',
        '  action   = "accept"',
        '  chain    = "forward"',
        '  ports    = [{"from":80,"to":80},{"from":443,"to":443}]',
        '  priority = 100',
        'lines:',
        '  host filter -A DOCKWALL-FORWARD -s 172.18.0.2/32 -p tcp -m tcp --dport 80 -m comment --comment dockwall:rule.web -j ACCEPT',
      ].join('\n'),
    )
  })

  it('prints the resource as JSON with --json', async () => {
    const {dir} = await withState()
    const r = await dockwall(dir, ['state', 'show', 'network.frontend', '--json'])
    // As the file spells it: the origin inside ids.
    expect(JSON.parse(r.stdout)).toEqual(resourceOnDisk(network('frontend')))
    expect(JSON.parse(r.stdout).ids).toEqual({network_id: 'id-frontend', origin: 'created'})
  })

  it('fails on an unknown address, suggesting close ones', async () => {
    const {dir} = await withState()
    const r = await dockwall(dir, ['state', 'show', 'rule.wbe'])
    expect(r).toEqual({
      exitCode: 1,
      stdout: '',
      stderr: 'Error: no resource in the state matches rule.wbe\nTry: did you mean rule.web?',
    })
  })

  it('fails without an address (usage error)', async () => {
    const r = await dockwall(await makeTmpDir(), ['state', 'show'])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/Missing 1 required arg/)
  })
})

describe('dockwall state rm', () => {
  it('forgets resources, says what it removed, bumps the serial and keeps a backup', async () => {
    const {dir, path} = await withState()
    const before = await readFile(path, 'utf8')
    const r = await dockwall(dir, ['state', 'rm', 'rule.web', 'container.lb'])
    expect(r).toEqual({
      exitCode: 0,
      stderr: '',
      stdout: [
        'Removed container.lb.network.frontend',
        'Removed container.lb.route["10.8.0.0/24"]',
        'Removed rule.web',
        'Successfully removed 3 resources from the state (serial 2); nothing on the host was changed.',
      ].join('\n'),
    })
    const after = await readState(path)
    expect(after?.serial).toBe(2)
    expect(after?.resources.map((x) => x.address)).toEqual(['network.frontend', 'rule.ssh'])
    expect(after?.dockwallVersion).toBe(JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).version)
    expect(await readFile(`${path}.backup`, 'utf8')).toBe(before)
    expect((await stat(`${path}.backup`)).mode & 0o777).toBe(0o600)
    expect(await readLock(path)).toBeNull()
  })

  it('changes nothing with --dry-run', async () => {
    const {dir, path} = await withState()
    const before = await readFile(path, 'utf8')
    const r = await dockwall(dir, ['state', 'rm', 'network.frontend', '--dry-run', '--json'])
    expect(JSON.parse(r.stdout)).toEqual({removed: ['network.frontend'], serial: 1, backup: null, dryRun: true})
    expect(await readFile(path, 'utf8')).toBe(before)
  })

  it('removes nothing when one address is unknown', async () => {
    const {dir, path} = await withState()
    const before = await readFile(path, 'utf8')
    const r = await dockwall(dir, ['state', 'rm', 'rule.web', 'rule.nope', 'network.gone'])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toBe(
      'Error: no resource in the state matches rule.nope, network.gone\nTry: `dockwall state list` shows every address',
    )
    expect(await readFile(path, 'utf8')).toBe(before)
  })

  it('fails when there is no state file', async () => {
    const r = await dockwall(await makeTmpDir(), ['state', 'rm', 'rule.web'])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/^Error: no state file at dockwall\.state\.json\n/)
  })

  it('fails at once while another dockwall holds the lock, naming it', async () => {
    const {dir, path} = await withState()
    const held = await acquireLock(path, {timeoutMs: 0, operation: 'dockwall apply'})
    try {
      const r = await dockwall(dir, ['state', 'rm', 'rule.web'])
      expect(r.exitCode).toBe(1)
      expect(r.stderr).toMatch(
        new RegExp(
          `^Error: state locked by pid ${process.pid} \\(dockwall apply, user [^)]+\\) on host \\S+ since \\d\\d:\\d\\d:\\d\\d; wait, or run \`dockwall force-unlock ${held.info.id}\` if that process is gone\\nTry: add --lock-timeout 5m`,
        ),
      )
      // With a timeout it waits, then says how long.
      const waited = await dockwall(dir, ['state', 'rm', 'rule.web', '--lock-timeout', '300ms'])
      expect(waited.stderr).toMatch(/^Error: timed out after 300ms waiting for the state lock: state locked by /)
      expect((await readState(path))?.serial).toBe(1)
    } finally {
      await held.release()
    }
  })

  it('with --lock=false (or -lock=false) takes no lock: it works while another holds it, and warns', async () => {
    const {dir, path} = await withState()
    const held = await acquireLock(path, {timeoutMs: 0, operation: 'dockwall apply'})
    try {
      const r = await dockwall(dir, ['state', 'rm', '-lock=false', 'rule.web'])
      expect(r.exitCode).toBe(0)
      expect(r.stderr).toContain('Warning: --lock=false')
      expect((await readState(path))?.resources.map((x) => x.address)).not.toContain('rule.web')
      // The other holder's lock is untouched.
      const lock = await readLock(path)
      expect(lock?.kind === 'held' && lock.info.id).toBe(held.info.id)
    } finally {
      await held.release()
    }
  })

  it('rejects a malformed --lock-timeout as a usage error', async () => {
    const {dir} = await withState()
    const r = await dockwall(dir, ['state', 'rm', 'rule.web', '--lock-timeout', '30'])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(
      /Parsing --lock-timeout\s+(›\s+)?invalid duration "30": use a number with a unit, like 30s, 5m, 1h30m or\s+(›\s+)?500ms/,
    )
  })

  it('warns and tightens a world-readable state file', async () => {
    const {dir, path} = await withState()
    const {chmod} = await import('node:fs/promises')
    await chmod(path, 0o644)
    const r = await dockwall(dir, ['state', 'rm', 'rule.web'])
    expect(r.exitCode).toBe(0)
    expect(r.stderr).toBe(
      'Warning: state file dockwall.state.json was accessible to other users (mode 0644); changed it to 0600',
    )
    expect((await stat(path)).mode & 0o777).toBe(0o600)
  })
})

describe('dockwall state mv', () => {
  it('moves a resource to a new address as Terraform says it, bumps the serial and keeps a backup', async () => {
    const {dir, path} = await withState()
    const before = await readFile(path, 'utf8')
    const r = await dockwall(dir, ['state', 'mv', 'rule.web', 'rule.web_http'])
    expect(r.exitCode).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([
      'Move "rule.web" to "rule.web_http"',
      'Successfully moved 1 object(s) (serial 2); nothing on the host was changed.',
    ])
    const after = await readState(path)
    const addresses = after?.resources.map((x) => x.address) ?? []
    expect(addresses).toContain('rule.web_http')
    expect(addresses).not.toContain('rule.web')
    expect(addresses).toHaveLength((await readState(`${path}.backup`))?.resources.length ?? -1)
    // Only the address moves: the record (its lines, with the comment they carry on the host) stays as it was.
    const moved = after?.resources.find((x) => x.address === 'rule.web_http')
    expect(moved?.lines?.[0]?.spec).toContain('dockwall:rule.web ')
    expect(await readFile(`${path}.backup`, 'utf8')).toBe(before)
    expect(await readLock(path)).toBeNull()
  })

  it('changes nothing with -dry-run (Terraform spelling), and says what it would do', async () => {
    const {dir, path} = await withState()
    const before = await readFile(path, 'utf8')
    const r = await dockwall(dir, ['state', 'mv', '-dry-run', 'network.frontend', 'network.front'])
    expect(r).toEqual({exitCode: 0, stderr: '', stdout: 'Would move "network.frontend" to "network.front"'})
    expect(await readFile(path, 'utf8')).toBe(before)
  })

  // One process per case, each its own test: six CLI starts in one test outran its timeout on a loaded machine.
  it.each<[string, string[], RegExp]>([
    ['an unknown source', ['rule.nope', 'rule.x'], /^Error: no resource in the state matches rule\.nope\n/],
    [
      'a taken destination',
      ['rule.web', 'rule.ssh'],
      /^Error: cannot move rule\.web to rule\.ssh: rule\.ssh is in the state already\n/,
    ],
    [
      'another type',
      ['rule.web', 'network.web'],
      /^Error: cannot move rule\.web \(a rule\) to network\.web \(a network address\)/,
    ],
    [
      'a bad address',
      ['rule.web', 'rule.has space'],
      /^Error: cannot move to rule\.has space: "rule\.has space" is not a resource address/,
    ],
    ["dockwall's own firewall", ['rule.web', 'firewall'], /firewall is dockwall's own/],
    // Both arguments are required: a usage error, exit 1.
    ['a missing destination', ['rule.web'], /Missing 1 required arg/],
  ])('refuses %s with exit 1, changing nothing', async (_what, args, message) => {
    const {dir, path} = await withState()
    const before = await readFile(path, 'utf8')
    const r = await dockwall(dir, ['state', 'mv', ...args])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(message)
    expect(await readFile(path, 'utf8')).toBe(before)
  })

  it('waits for or refuses the lock as the other state commands do; --lock=false takes none', async () => {
    const {dir, path} = await withState()
    const held = await acquireLock(path, {timeoutMs: 0, operation: 'dockwall apply'})
    try {
      const r = await dockwall(dir, ['state', 'mv', 'rule.web', 'rule.w2', '--lock-timeout', '300ms'])
      expect(r.exitCode).toBe(1)
      expect(r.stderr).toMatch(/^Error: timed out after 300ms waiting for the state lock: state locked by /)
      expect((await readState(path))?.serial).toBe(1)
      const unlocked = await dockwall(dir, ['state', 'mv', '-lock=false', 'rule.web', 'rule.w2'])
      expect(unlocked.exitCode).toBe(0)
      expect(unlocked.stderr).toContain('Warning: --lock=false')
      expect((await readState(path))?.resources.map((x) => x.address)).toContain('rule.w2')
    } finally {
      await held.release()
    }
  })
})

describe('dockwall force-unlock', () => {
  it('refuses the lock of a holder that still runs, and removes it with --force', async () => {
    const {dir, path} = await withState()
    const held = await acquireLock(path, {timeoutMs: 0, operation: 'dockwall apply'})
    const refused = await dockwall(dir, ['force-unlock', held.info.id])
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toMatch(
      new RegExp(
        `^Error: refusing to remove the state lock: pid ${process.pid} \\(dockwall apply\\) still runs on this host;`,
      ),
    )
    expect(refused.stderr).toMatch(/add --force/)
    expect((await readLock(path))?.kind).toBe('held')
    const r = await dockwall(dir, ['force-unlock', held.info.id, '--force'])
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(
      new RegExp(`^Unlocked the state: removed the lock of pid ${process.pid} \\(dockwall apply, `),
    )
    expect(await readLock(path)).toBeNull()
    await held.release()
  })

  it('refuses another id, and leaves the lock', async () => {
    const {dir, path} = await withState()
    const held = await acquireLock(path, {timeoutMs: 0, operation: 'dockwall apply'})
    try {
      const r = await dockwall(dir, ['force-unlock', 'wrong-id'])
      expect(r.exitCode).toBe(1)
      expect(r.stderr).toMatch(
        new RegExp(`^Error: the state lock has id ${held.info.id} \\(.*\\), not wrong-id; nothing was unlocked\\n`),
      )
      expect((await readLock(path))?.kind).toBe('held')
    } finally {
      await held.release()
    }
  })

  it('fails when the state is not locked', async () => {
    const {dir} = await withState()
    const r = await dockwall(dir, ['force-unlock', 'some-id'])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/^Error: the state dockwall\.state\.json is not locked/)
  })
})

describe('help', () => {
  it.each(['state list', 'state show', 'state rm', 'state mv', 'force-unlock'])(
    '%s --help shows examples',
    async (id) => {
      const r = await dockwall(root, [...id.split(' '), '--help'])
      expect(r.exitCode).toBe(0)
      expect(r.stdout).toContain('EXAMPLES')
      expect(r.stdout).toContain(`$ dockwall ${id} `)
    },
  )
})
