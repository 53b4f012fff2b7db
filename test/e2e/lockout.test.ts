// The SSH lockout guard against a real engine and real connections (issue 15): an
// "operator" in a client namespace joined to the sandbox by a veth pair (IPv4 and IPv6),
// an SSH-like TCP service on port 22 of the sandbox namespace (the host being managed,
// given with --netns), and SSH_CONNECTION (or --ssh-client) naming that connection.
// A plan that would cut it is refused with exit 1 and nothing touched; --allow-lockout
// applies it, and then the client really cannot connect: the evaluation was right.
import {existsSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BACKENDS, useSandbox} from '../helpers/sandbox.js'
import {sshScene, V6, type SshScene} from './ssh-host.js'

describe.each(BACKENDS)('SSH lockout guard on %s', (backend) => {
  const sandbox = useSandbox(backend)
  let scene: SshScene
  let ssh4: string
  let ssh6: string

  // The guard on its own: no confirmation window (on by default over SSH; test/e2e/confirm.test.ts has it).
  const cli = (args: string[], env: Record<string, string>) =>
    scene.cli(args[0] === 'apply' || args[0] === 'destroy' ? [...args, '--confirm-within', 'off'] : args, env)
  const config = (text: string): void => writeFileSync(path.join(scene.dir, 'main.hcl'), text)
  const host = () => scene.host()
  const sshOk = (ip: string) => scene.sshOk(ip)

  beforeAll(async () => {
    scene = await sshScene(sandbox(), 'lockout')
    ssh4 = scene.ssh4
    ssh6 = scene.ssh6
  })

  afterAll(() => scene?.stop())

  it('the operator reaches the host on port 22 over both families', async () => {
    expect(await sshOk(scene.ext.sandboxIp)).toBe(true)
    expect(await sshOk(V6.sandbox)).toBe(true)
  })

  it('refuses a plan that would refuse new SSH connections (allow_ssh = false): exit 1, nothing touched', async () => {
    config('firewall {\n  input_policy = "drop"\n  allow_ssh    = false\n}\n')
    const before = await host()
    const r = await cli(['apply', '--auto-approve'], {SSH_CONNECTION: ssh4})
    expect(r.exitCode, r.stderr).toBe(1)
    expect(r.stderr).toContain('refusing to apply: new SSH connections from your address would be refused')
    expect(r.stderr).toContain(`session: ${scene.ext.ip}:51234 → ${scene.ext.sandboxIp}:22 (SSH_CONNECTION)`)
    // The rule that would do it, named as the evaluator found it.
    expect(r.stderr).toMatch(
      /after: +deny: the first packet is dropped by host iptables filter -A DOCKWALL-INPUT .*dockwall:firewall.* -j DROP/,
    )
    expect(r.stderr).toContain('--allow-lockout')
    expect(await host()).toBe(before)
    expect(existsSync(scene.statePath)).toBe(false)
    expect(await sshOk(scene.ext.sandboxIp)).toBe(true)
  })

  it('refuses the same plan for an IPv4-mapped SSH_CONNECTION, and for --ssh-client where SSH_CONNECTION is empty (sudo)', async () => {
    const before = await host()
    const mapped = await cli(['apply', '--auto-approve'], {
      SSH_CONNECTION: `::ffff:${scene.ext.ip} 51234 ::ffff:${scene.ext.sandboxIp} 22`,
    })
    expect(mapped.exitCode, mapped.stderr).toBe(1)
    expect(mapped.stderr).toContain(`session: ${scene.ext.ip}:51234 → ${scene.ext.sandboxIp}:22`)
    const flag = await cli(['apply', '--auto-approve', '--ssh-client', scene.ext.ip], {SSH_CONNECTION: ''})
    expect(flag.exitCode, flag.stderr).toBe(1)
    expect(flag.stderr).toContain(`session: ${scene.ext.ip} → ${scene.ext.sandboxIp}:22 (--ssh-client)`)
    expect(await host()).toBe(before)
  })

  it('a malformed SSH_CONNECTION is an error, not ignored', async () => {
    const before = await host()
    const r = await cli(['apply', '--auto-approve'], {SSH_CONNECTION: `${scene.ext.ip} 51234 nonsense`})
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain(
      `SSH_CONNECTION is "${scene.ext.ip} 51234 nonsense", not "CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT"`,
    )
    expect(await host()).toBe(before)
  })

  it('--allow-lockout applies it with a warning, and then the client really cannot connect; destroy lets it back', async () => {
    const r = await cli(['apply', '--auto-approve', '--allow-lockout'], {SSH_CONNECTION: ssh4})
    expect(r.exitCode, r.stderr).toBe(0)
    // oclif's warning: ` ›   Warning: ` before the text, ` ›   ` before each wrapped line.
    expect(r.stderr.replaceAll(/\s*\n ›\s+/g, ' ')).toContain(
      'Warning: --allow-lockout: applying although new SSH connections from your address would be refused',
    )
    expect(await sshOk(scene.ext.sandboxIp)).toBe(false)
    // Removing the drop gives the path back: the guard lets destroy through without a word.
    const d = await cli(['destroy', '--auto-approve'], {SSH_CONNECTION: ssh4})
    expect(d.exitCode, d.stderr).toBe(0)
    expect(d.stderr).toBe('')
    expect(await sshOk(scene.ext.sandboxIp)).toBe(true)
  })

  it('lets a plan through that keeps the session: input_policy = "drop" with SSH kept open', async () => {
    config('firewall {\n  input_policy = "drop"\n}\n')
    const r = await cli(['apply', '--auto-approve'], {SSH_CONNECTION: ssh4})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    expect(await sshOk(scene.ext.sandboxIp)).toBe(true)
    const d = await cli(['destroy', '--auto-approve'], {SSH_CONNECTION: ssh4})
    expect(d.exitCode, d.stderr).toBe(0)
  })

  it('refuses a port_forward of the SSH port on the operator’s interface: new connections would go elsewhere', async () => {
    config(
      `port_forward "ssh" {\n  in_interface = "${scene.ext.ifname}"\n  port         = 22\n  to           = "10.99.0.5"\n}\n`,
    )
    const before = await host()
    const r = await cli(['apply', '--auto-approve'], {SSH_CONNECTION: ssh4})
    expect(r.exitCode, r.stderr).toBe(1)
    expect(r.stderr).toMatch(
      /refusing to apply: new SSH connections would be redirected to 10\.99\.0\.5:22 by nat -A DOCKWALL-PREROUTING .*dockwall:port_forward\.ssh/,
    )
    expect(await host()).toBe(before)
  })

  it('IPv6: a Docker network whose IPv6 subnet captures the client is refused; with --allow-lockout the client is cut off', async () => {
    config('network "grab" {\n  subnet      = "10.31.0.0/24"\n  ipv6_subnet = "2001:db8:77::/112"\n}\n')
    const before = await host()
    const r = await cli(['apply', '--auto-approve'], {SSH_CONNECTION: ssh6})
    expect(r.exitCode, r.stderr).toBe(1)
    expect(r.stderr).toContain("refusing to apply: the host's replies to your SSH client would be dropped")
    expect(r.stderr).toContain(`session: [${V6.client}]:51234 → [${V6.sandbox}]:22 (SSH_CONNECTION)`)
    expect(await host()).toBe(before)
    const applied = await cli(['apply', '--auto-approve', '--allow-lockout'], {SSH_CONNECTION: ssh6})
    expect(applied.exitCode, applied.stderr).toBe(0)
    expect(await sshOk(V6.sandbox)).toBe(false)
    expect(await sshOk(scene.ext.sandboxIp)).toBe(true)
    const d = await cli(['destroy', '--auto-approve'], {SSH_CONNECTION: ssh6})
    expect(d.exitCode, d.stderr).toBe(0)
    expect(await sshOk(V6.sandbox)).toBe(true)
  })

  it('watch without a session refuses to take away the last path to SSH, unless allow_ssh = false says so', async () => {
    const sb = sandbox()
    // IPv6 closed by a foreign policy, so IPv4 holds the only way in.
    await sb.netnsRun(`ip6tables-${backend}`, ['-w', '-P', 'INPUT', 'DROP'])
    try {
      config('rule "all" {\n  chain  = "input"\n  action = "drop"\n}\n')
      const before = await host()
      const r = await cli(['watch', '--once'], {SSH_CONNECTION: ''})
      expect(r.exitCode, r.stdout + r.stderr).toBe(1)
      expect(r.stdout).toContain('refusing to apply: after this plan no SSH connection to port 22 would get in')
      expect(await host()).toBe(before)
      expect(await sshOk(scene.ext.sandboxIp)).toBe(true)
      // Said explicitly: the host is to have no SSH.
      config('firewall {\n  allow_ssh = false\n}\n\nrule "all" {\n  chain  = "input"\n  action = "drop"\n}\n')
      const w = await cli(['watch', '--once'], {SSH_CONNECTION: ''})
      expect(w.exitCode, w.stdout + w.stderr).toBe(0)
      expect(await sshOk(scene.ext.sandboxIp)).toBe(false)
      const d = await cli(['destroy', '--auto-approve'], {SSH_CONNECTION: ''})
      expect(d.exitCode, d.stderr).toBe(0)
      expect(await sshOk(scene.ext.sandboxIp)).toBe(true)
    } finally {
      await sb.netnsRun(`ip6tables-${backend}`, ['-w', '-P', 'INPUT', 'ACCEPT'])
    }
  })
})
