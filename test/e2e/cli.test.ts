// A Terraform user's CLI (issue 14) against a real Docker engine, on both iptables
// backends, as one operator's story on one sandbox (the steps build on each other):
// a network, an attachment and a DOCKER-USER rule made by hand are adopted with the
// two-argument `import ADDRESS ID`; the plan shows the rule's move; `apply` asks, and
// the answer comes from stdin as Terraform reads it (a pipe that ends without one
// changes nothing; `echo yes |` applies; in a terminal, typed); traffic still flows and
// the next plan is empty. Usage errors exit 1, even with changes present and
// --detailed-exitcode. Drift made by hand is accepted into the state with
// apply -refresh-only (the host stays byte for byte), and a rule renamed with state mv
// keeps its lines (their comments are rewritten in place). -lock=false plans and applies
// without the state lock, and is refused with the confirm window.
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {PlanJson} from '../../src/ui/index.js'
import {acquireLock, readLock} from '../../src/state/lock.js'
import {REPO_ROOT, runCli} from '../helpers/cli.js'
import {BACKENDS, useSandbox} from '../helpers/sandbox.js'
import {Tmux} from '../helpers/tmux.js'
import {chainRules, dockwall, expectExit, hostArgs, parseJson, stableSave, workdir} from './dockwall-e2e.js'

// Escape sequences, built so that no regular expression holds a control character.
const ESC = String.fromCharCode(27)
const SGR = new RegExp(`${ESC}\\[[0-9;]*m`)

const CONFIG = `network "front" {
  name    = "dw-front"
  subnet  = "10.71.1.0/24"
  gateway = "10.71.1.1"
}

container "web" {
  name = "dw-web"
  network "front" {
    ipv4_address = "10.71.1.10"
  }
}

rule "cli_to_web" {
  from   = "10.71.2.20"
  to     = container.web
  proto  = "tcp"
  port   = 80
  action = "accept"
}
`

/** What the operator typed into DOCKER-USER, in iptables-save's form. */
const HAND_RULE = '-s 10.71.2.20/32 -d 10.71.1.10/32 -p tcp -m tcp --dport 80 -j ACCEPT'
/** The same rule in dockwall's chain, with its owner's comment. */
const MOVED_RULE = HAND_RULE.replace(' -j ACCEPT', ' -m comment --comment "dockwall:rule.cli_to_web" -j ACCEPT')
const HAND_CONNTRACK = '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'

describe.each(BACKENDS)("a Terraform user's CLI on %s", (backend) => {
  const sandbox = useSandbox(backend)
  const dir = workdir(`cli-${backend}`)
  const tmux = new Tmux(`dockwall-e2e-cli-${process.pid}-${backend}`, dir.path)
  const run = (args: readonly string[], opts: {input?: string} = {}) =>
    dockwall(sandbox(), dir.path, [...args, ...hostArgs(sandbox())], opts)

  beforeAll(async () => {
    const sb = sandbox()
    writeFileSync(join(dir.path, 'main.hcl'), CONFIG)
    await sb.createNetwork('dw-front', '10.71.1.0/24', '10.71.1.1')
    await sb.createNetwork('dw-back', '10.71.2.0/24', '10.71.2.1')
    await sb.runContainer('dw-web', {network: 'dw-front', ip: '10.71.1.10'})
    await sb.runContainer('dw-cli', {network: 'dw-back', ip: '10.71.2.20'})
    await sb.iptablesRestore(
      [
        '*filter',
        `-I DOCKER-USER 1 ${HAND_CONNTRACK}`,
        `-I DOCKER-USER 2 ${HAND_RULE}`,
        'COMMIT',
        // Docker 28 drops traffic for dw-web that does not come from its bridge before filter
        // sees it: operators open the accepted flow in raw PREROUTING as well (issue 12).
        ...(sb.engine.major >= 28 ? ['*raw', `-I PREROUTING 1 ${HAND_RULE}`, 'COMMIT'] : []),
        '',
      ].join('\n'),
      {noflush: true},
    )
  })
  afterAll(async () => {
    await tmux.kill()
    dir.remove()
  })

  it('the hand-made rule lets dw-cli reach dw-web across networks', async () => {
    expect(await sandbox().canConnect({from: 'dw-cli', to: '10.71.1.10', port: 80})).toBe(true)
  })

  it('import ADDRESS ID adopts a network, an attachment and a rule', async () => {
    const network = expectExit(await run(['import', 'network.front', 'dw-front']), 0)
    expect(network.stdout).toMatch(/^Import successful: network\.front /)
    const attachment = expectExit(await run(['import', 'container.web.network.front', 'dw-web/dw-front']), 0)
    expect(attachment.stdout).toMatch(/^Import successful: container\.web\.network\.front /)
    const rule = expectExit(await run(['import', 'rule.cli_to_web', `DOCKER-USER:${HAND_RULE}`]), 0)
    expect(rule.stdout).toMatch(/^Import successful: rule\.cli_to_web /)
    expect(rule.stdout).toContain('Run `dockwall plan` to review the move')
    const list = expectExit(await dockwall(sandbox(), dir.path, ['state', 'list']), 0)
    expect(list.stdout.trim().split('\n')).toEqual(['container.web.network.front', 'network.front', 'rule.cli_to_web'])
  })

  it('a usage error exits 1, not 2, though the plan has changes and --detailed-exitcode is given', async () => {
    const bad = await run(['plan', '--detailed-exitcode', '--no-tty', '--bogus'])
    expect(bad.stderr).toContain('--bogus')
    expect(bad.exitCode).toBe(1)
    expectExit(await run(['plan', '--detailed-exitcode', '--no-tty']), 2)
  })

  it("plans the rule's move into dockwall's chain, and nothing for the adopted network and attachment", async () => {
    const planned = expectExit(await run(['plan', '--json']), 0)
    // One line, as terraform show -json prints a plan.
    expect(planned.stdout.trimEnd().split('\n')).toHaveLength(1)
    const plan = parseJson<PlanJson>(planned)
    const action = (a: string) => plan.resource_changes.find((c) => c.address === a)?.action
    expect(action('network.front')).toBe('no-op')
    expect(action('container.web.network.front')).toBe('no-op')
    const moved = plan.resource_changes.find((c) => c.address === 'rule.cli_to_web')
    expect(moved?.importing).toBeDefined()
    // Terraform's form (docs/PLAN-JSON.md): the imported rule exists and is rewritten into dockwall's chain.
    expect(plan.format_version).toBe('1.4')
    expect(moved?.change).toMatchObject({actions: ['update'], importing: {}})
    expect(plan.resource_changes.find((c) => c.address === 'network.front')?.change.actions).toEqual(['no-op'])
    // `show --json` of the state is versioned too.
    const showed = expectExit(await dockwall(sandbox(), dir.path, ['show', '--json']), 0)
    expect(showed.stdout.trimEnd().split('\n')).toHaveLength(1)
    const shown = parseJson<{format_version: string; resources: {address: string}[]}>(showed)
    expect(shown.format_version).toBe('1.0')
    expect(shown.resources.map((r) => r.address)).toContain('rule.cli_to_web')
    // (On Docker 28 it also brings its own raw opening.)
    expect(moved?.lines?.after.map((l) => `${l.chain} ${l.spec}`)).toContain(`DOCKWALL-FORWARD ${MOVED_RULE}`)
  })

  it('apply with a stdin that ends without an answer changes nothing and says how to approve', async () => {
    const before = stableSave(await sandbox().iptablesSave())
    const r = await run(['apply', '--no-tty'], {input: ''})
    expect(r.stdout).toContain('Do you want to perform these actions?')
    expect(r.stderr).toContain('Error: apply needs confirmation, and standard input ended without an answer')
    expect(r.stderr).toContain('--auto-approve')
    expect(r.exitCode).toBe(1)
    expect(stableSave(await sandbox().iptablesSave())).toBe(before)
  })

  it('`echo yes | dockwall apply` applies: the rule moves, traffic still flows, the next plan is empty', async () => {
    const r = expectExit(await run(['apply', '--no-tty'], {input: 'yes\n'}), 0)
    expect(r.stdout).toContain('Apply complete!')
    const save = await sandbox().iptablesSave()
    expect(chainRules(save, 'filter', 'DOCKER-USER')).not.toContain(HAND_RULE)
    expect(chainRules(save, 'filter', 'DOCKWALL-FORWARD')).toContain(MOVED_RULE)
    expect(await sandbox().canConnect({from: 'dw-cli', to: '10.71.1.10', port: 80})).toBe(true)
    expectExit(await run(['plan', '--detailed-exitcode', '--no-tty']), 0)
  })

  it('in a terminal, apply asks and a typed "yes" applies', async () => {
    const sb = sandbox()
    // A second rule to apply: port 81 from dw-cli.
    writeFileSync(
      join(dir.path, 'more.hcl'),
      'rule "cli_to_web_81" {\n  from  = "10.71.2.20"\n  to    = container.web\n  proto = "tcp"\n  port  = 81\n}\n',
    )
    expect(await sb.canConnect({from: 'dw-cli', to: '10.71.1.10', port: 81, timeoutSec: 1})).toBe(false)
    const bin = join(process.env.DOCKWALL_CLI_ROOT ?? REPO_ROOT, 'bin', 'run.js')
    const argv = ['nsenter', `--net=${sb.netnsPath}`, '--', process.execPath, bin]
    await tmux.start('apply', dir.path, [...argv, 'apply', ...hostArgs(sb)], {
      DOCKWALL_CACHE_DIR: join(dir.path, '.cache'),
      NO_COLOR: '1',
    })
    await tmux.waitFor('apply', 'the question', (s) => s.includes('Enter a value:'))
    await tmux.type('apply', 'yes')
    const {exitCode, screen} = await tmux.waitForExit('apply')
    expect(screen).toContain('# rule.cli_to_web_81 will be created')
    expect(screen).toContain('Apply complete!')
    expect(exitCode).toBe(0)
    expect(await sb.canConnect({from: 'dw-cli', to: '10.71.1.10', port: 81})).toBe(true)
  })

  it("Terraform's spellings: plan -out=FILE -no-color -detailed-exitcode saves the plan where -out says", async () => {
    writeFileSync(
      join(dir.path, 'third.hcl'),
      'rule "cli_to_web_82" {\n  from  = "10.71.2.20"\n  to    = container.web\n  proto = "tcp"\n  port  = 82\n}\n',
    )
    const r = expectExit(await run(['plan', '-out=tonight.plan', '-no-color', '-detailed-exitcode']), 2)
    expect(r.stdout).toContain('# rule.cli_to_web_82 will be created')
    expect(r.stdout).not.toContain(`${ESC}[`)
    expect(existsSync(join(dir.path, 'tonight.plan'))).toBe(true)
    expect(existsSync(join(dir.path, 'ut=tonight.plan'))).toBe(false)
  })

  it('apply -input=false asks nothing: without -auto-approve it refuses and changes nothing', async () => {
    const before = stableSave(await sandbox().iptablesSave())
    const r = await run(['apply', '-input=false'], {input: 'yes\n'})
    expect(r.stdout).not.toContain('Enter a value:')
    expect(r.stderr).toContain('Error: apply needs confirmation, and --input=false says not to ask')
    expect(r.exitCode).toBe(1)
    expect(stableSave(await sandbox().iptablesSave())).toBe(before)
  })

  it('apply -auto-approve -input=false -parallelism=1 applies; -chdir=DIR plan from elsewhere finds nothing left', async () => {
    expectExit(await run(['apply', '-auto-approve', '-input=false', '-parallelism=1', '-no-color']), 0)
    expect(await sandbox().canConnect({from: 'dw-cli', to: '10.71.1.10', port: 82})).toBe(true)
    const elsewhere = await runCli(
      ['-chdir=' + dir.path, 'plan', '-detailed-exitcode', '-no-color', ...hostArgs(sandbox())],
      {
        netns: sandbox().netnsPath,
        cwd: REPO_ROOT,
        env: {DOCKER_HOST: '', DOCKWALL_NETNS: '', DOCKWALL_CACHE_DIR: join(dir.path, '.cache')},
      },
    )
    expect(elsewhere.stdout).toContain('No changes.')
    expect(elsewhere.exitCode).toBe(0)
  })

  /** What must not move when only the state should: both iptables families and Docker's networks. */
  const hostNow = async () => {
    const sb = sandbox()
    const networks = (await sb.docker.listNetworks()).map((n) => `${n.Id} ${n.Name}`).sort()
    return {v4: stableSave(await sb.iptablesSave()), v6: stableSave(await sb.iptablesSave({family: 6})), networks}
  }
  const stateJson = async () =>
    parseJson<{serial: number; resources: {address: string; lines?: {chain: string}[]}[]}>(
      expectExit(await dockwall(sandbox(), dir.path, ['show', '--json']), 0),
    )

  it('apply -refresh-only records drift made by hand in the state, touching nothing on the host; the next plan proposes the repair', async () => {
    const sb = sandbox()
    // Drift by hand: dockwall's forward chain flushed (a firewall reload would do it).
    await sb.iptablesRestore('*filter\n-F DOCKWALL-FORWARD\nCOMMIT\n')
    expect(await sb.canConnect({from: 'dw-cli', to: '10.71.1.10', port: 82, timeoutSec: 1})).toBe(false)
    const host = await hostNow()
    const before = await stateJson()
    const forwardLines = (s: Awaited<ReturnType<typeof stateJson>>) =>
      s.resources.flatMap((r) => (r.lines ?? []).filter((l) => l.chain === 'DOCKWALL-FORWARD').map(() => r.address))
    expect(forwardLines(before)).toContain('rule.cli_to_web_82')

    // Asked, and declined: nothing is written.
    const declined = await run(['apply', '--refresh-only', '--no-tty'], {input: 'no\n'})
    expect(declined.stdout).toContain('Would you like to update the dockwall state to reflect these detected changes?')
    expect(declined.exitCode).toBe(1)
    expect((await stateJson()).serial).toBe(before.serial)

    const r = expectExit(await run(['apply', '-refresh-only', '-auto-approve', '-no-color']), 0)
    // Docker 28 and later keep the rule's raw opening, so the rule changed rather than went.
    expect(r.stdout).toContain(`# rule.cli_to_web_82 has been ${sb.engine.major >= 28 ? 'changed' : 'deleted'}`)
    expect(r.stdout).toContain('Apply complete! Resources: 0 added, 0 changed, 0 destroyed.')
    expect(await hostNow()).toEqual(host)
    const after = await stateJson()
    expect(after.serial).toBe(before.serial + 1)
    expect(forwardLines(after)).toEqual([])

    // The state now says what the host has: no drift, and the plan puts the rules back.
    const plan = parseJson<PlanJson>(expectExit(await run(['plan', '--json', '--detailed-exitcode']), 2))
    expect(plan.resource_drift).toEqual([])
    const repaired = plan.resource_changes.find((c) => c.address === 'rule.cli_to_web_82')
    // Docker 28 and later keep the rule's raw opening, so it is an update there.
    expect(repaired?.change.actions).toEqual([sb.engine.major >= 28 ? 'update' : 'create'])
    expectExit(await run(['apply', '-auto-approve', '-no-color']), 0)
    expect(await sb.canConnect({from: 'dw-cli', to: '10.71.1.10', port: 82})).toBe(true)
    expectExit(await run(['plan', '-detailed-exitcode', '-no-color']), 0)
  })

  it('state mv, then the block renamed: the plan only rewrites the comments, apply writes them, the next plan is empty', async () => {
    const mv = expectExit(await dockwall(sandbox(), dir.path, ['state', 'mv', 'rule.cli_to_web_81', 'rule.web_81']), 0)
    expect(mv.stdout).toContain('Move "rule.cli_to_web_81" to "rule.web_81"')
    writeFileSync(
      join(dir.path, 'more.hcl'),
      'rule "web_81" {\n  from  = "10.71.2.20"\n  to    = container.web\n  proto = "tcp"\n  port  = 81\n}\n',
    )
    const plan = parseJson<PlanJson>(expectExit(await run(['plan', '--json', '--detailed-exitcode']), 2))
    expect(plan.resource_drift).toEqual([])
    expect(plan.resource_changes.filter((c) => c.action !== 'no-op').map((c) => [c.address, c.change.actions])).toEqual(
      [['rule.web_81', ['update']]],
    )
    expectExit(await run(['apply', '-auto-approve', '-no-color']), 0)
    const save = await sandbox().iptablesSave()
    expect(save).toContain('"dockwall:rule.web_81"')
    expect(save).not.toContain('dockwall:rule.cli_to_web_81')
    expect(await sandbox().canConnect({from: 'dw-cli', to: '10.71.1.10', port: 81})).toBe(true)
    expectExit(await run(['plan', '-detailed-exitcode', '-no-color']), 0)
  })

  it('NO_COLOR and -no-color reach the interactive view (Ink) too', async () => {
    const sb = sandbox()
    writeFileSync(
      join(dir.path, 'fourth.hcl'),
      'rule "cli_to_web_83" {\n  from  = "10.71.2.20"\n  to    = container.web\n  proto = "tcp"\n  port  = 83\n}\n',
    )
    const bin = join(process.env.DOCKWALL_CLI_ROOT ?? REPO_ROOT, 'bin', 'run.js')
    const plan = ['nsenter', `--net=${sb.netnsPath}`, '--', process.execPath, bin, 'plan', ...hostArgs(sb)]
    const env = {DOCKWALL_CACHE_DIR: join(dir.path, '.cache')}
    const escapes = async (session: string, extra: string[], vars: Record<string, string>): Promise<boolean> => {
      await tmux.start(session, dir.path, [...plan, ...extra], {...env, ...vars})
      await tmux.waitFor(session, 'the interactive plan', (s) => s.includes('q quit'))
      const screen = await tmux.screen(session, {escapes: true})
      await tmux.type(session, 'q', false)
      expect((await tmux.waitForExit(session)).exitCode).toBe(0)
      return SGR.test(screen.slice(0, screen.indexOf('q quit')))
    }
    // Without either, the view has colours: the check below can fail.
    expect(await escapes('coloured', [], {})).toBe(true)
    expect(await escapes('no-color-env', [], {NO_COLOR: '1'})).toBe(false)
    expect(await escapes('no-color-flag', ['-no-color'], {})).toBe(false)
  })

  it('-lock=false: plan and apply work while another dockwall holds the lock, taking none; with the confirm window it is refused', async () => {
    // fourth.hcl (above) declares rule.cli_to_web_83, not applied yet.
    const statePath = join(dir.path, 'dockwall.state.json')
    const held = await acquireLock(statePath, {timeoutMs: 0, operation: 'dockwall apply (the test)'})
    try {
      const before = readFileSync(statePath, 'utf8')
      const refused = await run(['apply', '-lock=false', '-confirm-within=2m', '-auto-approve', '-no-color'])
      expect(refused.stderr).toContain('--lock=false cannot be used with --confirm-within')
      expect(refused.stderr).toContain('--confirm-within off')
      expect(refused.exitCode).toBe(1)
      expect(readFileSync(statePath, 'utf8')).toBe(before)
      // Without -lock=false the held lock stops the plan: the runs below prove they took none.
      expect((await run(['plan', '-no-color'])).stderr).toContain('state locked by')
      const plan = expectExit(await run(['plan', '-lock=false', '-detailed-exitcode', '-no-color']), 2)
      expect(plan.stderr).toContain('no state lock is taken')
      const apply = expectExit(await run(['apply', '-lock=false', '-auto-approve', '-no-color']), 0)
      expect(apply.stderr).toContain('no state lock is taken')
      expect(await sandbox().canConnect({from: 'dw-cli', to: '10.71.1.10', port: 83})).toBe(true)
      expect(readFileSync(statePath, 'utf8')).toContain('rule.cli_to_web_83')
      // The other holder's lock is still there, untouched: no lock file was created or removed.
      const lock = await readLock(statePath)
      expect(lock?.kind === 'held' && lock.info.id).toBe(held.info.id)
    } finally {
      await held.release()
    }
    expectExit(await run(['plan', '-detailed-exitcode', '-no-color']), 0)
  })

  it('apply -destroy -auto-approve is destroy: traffic the rules let through is blocked again, no dockwall line is left', async () => {
    const refused = await run(['apply', '-destroy', 'tonight.plan'])
    expect(refused.stderr).toContain('--destroy cannot be used with a saved plan')
    expect(refused.exitCode).toBe(1)
    expect(await sandbox().canConnect({from: 'dw-cli', to: '10.71.1.10', port: 82})).toBe(true)
    expectExit(await run(['apply', '-destroy', '-auto-approve', '-no-color']), 0)
    expect(await sandbox().canConnect({from: 'dw-cli', to: '10.71.1.10', port: 82})).toBe(false)
    expect(await sandbox().iptablesSave()).not.toMatch(/dockwall/i)
  })
})
