// The SSH scene of the safety e2e tests (lockout, confirm): an operator in a client
// namespace joined to the sandbox by a veth pair with IPv4 and IPv6, an SSH-like TCP
// service on port 22 of the sandbox namespace (the host being managed), and the built
// CLI pointed at the sandbox with --netns and --docker-host.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {execa, type ResultPromise} from 'execa'

import type {ExternalClient, Sandbox} from '../sandbox/index.js'
import {REPO_ROOT, runCli, type CliResult} from '../helpers/cli.js'
import {stableSave} from './dockwall-e2e.js'

export const V6 = {sandbox: '2001:db8:77::1', client: '2001:db8:77::2'}

export interface SshScene {
  dir: string
  ext: ExternalClient
  /** SSH_CONNECTION of the operator's IPv4 and IPv6 sessions. */
  ssh4: string
  ssh6: string
  statePath: string
  /** The arguments that point a command at the sandbox and the scene's state and configuration. */
  args(): string[]
  cli(args: string[], env: Record<string, string>): Promise<CliResult>
  /** `dockwall confirm` for the scene's state (it takes no host flags). */
  confirm(env: Record<string, string>): Promise<CliResult>
  /** The CLI started in the background (its output streams while it runs). */
  spawn(args: string[], env: Record<string, string>): ResultPromise
  /** The "sshd" answers the client on port 22 at `ip`. */
  sshOk(ip: string): Promise<boolean>
  /** Both families' rules and Docker's networks: what must be exactly as it was. */
  host(): Promise<string>
  stop(): void
}

export async function sshScene(sb: Sandbox, label: string): Promise<SshScene> {
  const dir = mkdtempSync(path.join(tmpdir(), `dockwall-${label}-${sb.backend}-`))
  const ext = await sb.addExternalClient()
  // IPv6 on the same veth pair (no duplicate address detection: usable at once).
  await sb.netnsRun('ip', ['addr', 'add', `${V6.sandbox}/64`, 'dev', ext.ifname, 'nodad'])
  await ext.run('ip', ['addr', 'add', `${V6.client}/64`, 'dev', ext.clientIfname, 'nodad'])
  await ext.run('ip', ['-6', 'route', 'add', 'default', 'via', V6.sandbox])
  // The "sshd" of the host: busybox nc on port 22 of the sandbox namespace, both families.
  const sshd = execa(
    'nsenter',
    [`--net=${sb.netnsPath}`, '--', 'busybox', 'nc', '-ll', '-p', '22', '-e', 'echo', 'dockwall-ok', 'host', '22'],
    {reject: false},
  )
  for (let i = 0; i < 250; i++) {
    const {stdout} = await sb.netnsRun('ss', ['-H', '-l', '-n', '-t', 'sport', '=', ':22'])
    if (stdout.trim() !== '') break
    await new Promise((r) => setTimeout(r, 20))
  }
  const statePath = path.join(dir, 'state.json')
  const args = (): string[] => [
    '-c',
    dir,
    '--state',
    statePath,
    '--netns',
    sb.netnsPath,
    '--docker-host',
    sb.dockerHost,
  ]
  const env = (extra: Record<string, string>): Record<string, string> => ({
    DOCKWALL_CACHE_DIR: path.join(dir, 'cache'),
    ...extra,
  })
  return {
    dir,
    ext,
    ssh4: `${ext.ip} 51234 ${ext.sandboxIp} 22`,
    ssh6: `${V6.client} 51234 ${V6.sandbox} 22`,
    statePath,
    args,
    cli: (a, e) => runCli([...a, ...args()], {env: env(e), timeoutMs: 120_000}),
    confirm: (e) => runCli(['confirm', '-c', dir, '--state', statePath], {env: env(e), timeoutMs: 60_000}),
    spawn: (a, e) =>
      execa(process.execPath, [path.join(REPO_ROOT, 'bin/run.js'), ...a, ...args()], {
        cwd: REPO_ROOT,
        input: '',
        reject: false,
        env: {COLUMNS: '100', NO_COLOR: '1', FORCE_COLOR: '0', SSH_CONNECTION: '', ...env(e)},
      }),
    sshOk: async (ip) => (await ext.connect(ip, 22)).reply === 'dockwall-ok host 22',
    host: async () => {
      const v6 = await sb.netnsRun(`ip6tables-${sb.backend}-save`, [])
      const networks = (await sb.docker.listNetworks()).map((n) => n.Name).sort()
      return [stableSave(await sb.iptablesSave()), stableSave(v6.stdout), networks.join(',')].join('\n----\n')
    },
    stop: () => {
      sshd.kill('SIGKILL')
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
