// `npm run demo`: dockwall's main job, end to end, against a real Docker Engine that
// runs inside a private network namespace (test/sandbox). It writes nothing outside the
// sandbox (state and parse cache live in the sandbox's folder) and never touches this
// machine's own firewall: every dockwall command gets --netns and --docker-host.
//
// The configuration is fixtures/config/network-go: network-go's networks.json sample
// written in dockwall's language. The "wg0" interface of that sample is the sandbox side
// of a veth pair whose other end is an external client namespace.
import {mkdirSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'

import {Sandbox, type ExternalClient} from '../sandbox/index.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const CONFIG = path.join(ROOT, 'fixtures/config/network-go')
const bold = (s: string): string => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[0m` : s)

function step(title: string): void {
  process.stdout.write(`\n${bold(`━━ ${title}`)}\n`)
}

async function dockwall(
  sb: Sandbox,
  state: string,
  args: string[],
  opts: {expectExit?: number[]} = {},
): Promise<number> {
  // validate is offline: it takes only the configuration.
  const argv =
    args[0] === 'validate'
      ? [...args, '-c', CONFIG]
      : [...args, '-c', CONFIG, '--state', state, '--netns', sb.netnsPath, '--docker-host', sb.dockerHost]
  process.stdout.write(`${bold('$')} dockwall ${args.join(' ')}\n`)
  const r = await execa(process.execPath, [path.join(ROOT, 'bin/run.js'), ...argv], {
    stdio: ['ignore', 'inherit', 'inherit'],
    reject: false,
    // SSH_CONNECTION empty: an operator's own SSH session is not the sandbox's, so no confirm window.
    env: {DOCKWALL_CACHE_DIR: path.join(sb.root, 'dockwall-cache'), SSH_CONNECTION: ''},
  })
  const code = r.exitCode ?? -1
  if (!(opts.expectExit ?? [0]).includes(code)) throw new Error(`dockwall ${args[0]} exited with ${code}`)
  return code
}

async function traffic(sb: Sandbox, client: ExternalClient): Promise<void> {
  const inside = await sb.connect({from: 'smarthostbackend-1', to: '172.18.103.2', port: 80})
  process.stdout.write(`  backend  → lb:80 (across networks): ${inside.ok ? 'ALLOWED' : 'blocked'}\n`)
  await sb.listen('smarthost_loadbalancer', 80)
  const outside = await client.connect(client.sandboxIp, 80)
  process.stdout.write(`  wg0 peer → host:80 → lb:80:         ${outside.ok ? 'ALLOWED' : 'blocked'}\n`)
}

async function main(): Promise<void> {
  step('Starting a sandbox Docker Engine in its own network namespace')
  const sb = await Sandbox.start({backend: 'nft'})
  try {
    process.stdout.write(`  namespace ${sb.netnsPath}, Docker ${sb.engine.version} at ${sb.dockerHost}\n`)
    // The containers of network-go's sample, on Docker's default bridge for now: dockwall
    // creates their networks and gives them their static addresses.
    await sb.runContainer('smarthost_loadbalancer', {restart: 'always'})
    await sb.runContainer('smarthostbackend-1', {restart: 'always'})
    const client = await sb.addExternalClient({ifname: 'wg0'})
    const stateDir = path.join(sb.root, 'dockwall')
    mkdirSync(stateDir, {recursive: true})
    const state = path.join(stateDir, 'dockwall.state.json')

    step('Validate the configuration (fixtures/config/network-go)')
    await dockwall(sb, state, ['validate'])

    step('Plan: what would change on this host')
    await dockwall(sb, state, ['plan', '--no-tty'])

    step('Apply')
    await dockwall(sb, state, ['apply', '--auto-approve'])
    process.stdout.write('\nTraffic after apply:\n')
    await traffic(sb, client)

    step('Plan again: nothing to do')
    await dockwall(sb, state, ['plan', '--no-tty', '--detailed-exitcode'])

    step("Drift: a firewall reload flushes dockwall's chain (iptables -F DOCKWALL-FORWARD)")
    await sb.iptables(['-F', 'DOCKWALL-FORWARD'])
    await traffic(sb, client)
    await dockwall(sb, state, ['plan', '--no-tty', '--detailed-exitcode'], {expectExit: [2]})
    await dockwall(sb, state, ['apply', '--auto-approve'])
    await traffic(sb, client)

    step('What is on the host now')
    await dockwall(sb, state, ['show', '--actual'])

    step('Destroy: remove everything dockwall made')
    await dockwall(sb, state, ['destroy', '--auto-approve'])
    await traffic(sb, client)
  } finally {
    step('Stopping the sandbox')
    await sb.stop()
    process.stdout.write('  done: nothing is left behind\n')
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
