// `dockwall test --rehearse` end to end (the built CLI against a sandbox playing the host,
// both backends): a true and a false assertion rehearsed in a scratch namespace with a
// private engine of its own, real packets agreeing with explain's prediction (exit 1 for
// the false one, 0 without it), the host untouched; and a rehearsal interrupted with
// SIGINT in the middle leaves no namespace, no process and no mount behind.
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {dockwall, expectExit, hostArgs, parseJson, workdir} from './dockwall-e2e.js'
import {REPO_ROOT} from '../helpers/cli.js'
import {BACKENDS, useSandbox} from '../helpers/sandbox.js'
import {findProcesses, mountsUnder, NETNS_DIR, SANDBOX_BASE} from '../../src/sandbox/index.js'

const CONFIG = `
container "web" { name = "rh-web" }
container "db"  { name = "rh-db" }

rule "db_to_web" {
  from  = container.db
  to    = container.web
  proto = "tcp"
  port  = 80
}

assert "db_reaches_web" {
  from   = container.db
  to     = container.web
  port   = 80
  expect = "allow"
}
`

// False: the rule above opens it.
const FALSE = `
assert "db_isolated" {
  from   = container.db
  to     = container.web
  port   = 80
  expect = "deny"
}
`

interface RehearsalJson {
  pass: boolean
  assertions: Array<{address: string; pass: boolean; predicted: string; rehearsed: string; agrees: boolean}>
}

/** Sandboxes whose record names `pid` as their owner: the rehearsal's scratch one. */
function sandboxesOf(pid: number): string[] {
  const out: string[] = []
  for (const name of existsSync(SANDBOX_BASE) ? readdirSync(SANDBOX_BASE) : []) {
    try {
      const record = JSON.parse(readFileSync(join(SANDBOX_BASE, name, 'sandbox.json'), 'utf8')) as {
        owner: {pid: number}
      }
      if (record.owner.pid === pid) out.push(name)
    } catch {
      // not a sandbox, or being written
    }
  }
  return out
}

function ownerAlive(netns: string): boolean {
  const pid = Number(/^dwsb-(\d+)-/.exec(netns)?.[1])
  if (!pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe.each(BACKENDS)('test --rehearse (%s)', (backend) => {
  const sandbox = useSandbox(backend)
  const dir = workdir(`rehearse-${backend}`)

  beforeAll(async () => {
    const sb = sandbox()
    await sb.createNetwork('rh-front', '10.44.1.0/24')
    await sb.createNetwork('rh-back', '10.44.2.0/24')
    await sb.runContainer('rh-web', {
      network: 'rh-front',
      ip: '10.44.1.10',
      publish: [{hostPort: 8080, containerPort: 80}],
    })
    await sb.runContainer('rh-db', {network: 'rh-back', ip: '10.44.2.30'})
  })
  afterAll(() => dir.remove())

  const run = (args: string[]) => dockwall(sandbox(), dir.path, [...args, ...hostArgs(sandbox())], {timeoutMs: 180_000})

  it('a true and a false assertion: real packets agree with the prediction, the false one fails, the host is untouched', async () => {
    const sb = sandbox()
    writeFileSync(join(dir.path, 'main.hcl'), CONFIG + FALSE)
    const before = await sb.iptablesSave()
    const netnsBefore = readdirSync(NETNS_DIR).sort()

    const r = expectExit(await run(['test', '--rehearse']), 1)
    console.log(r.stdout)
    expect(r.stdout).toMatch(
      /^ {2}pass assert\.db_reaches_web: container\.db -> container\.web tcp\/80: predicted allow, rehearsed allow$/m,
    )
    expect(r.stdout).toMatch(
      /^ {2}FAIL assert\.db_isolated: container\.db -> container\.web tcp\/80: predicted allow, rehearsed allow, expected deny$/m,
    )
    expect(r.stdout).toMatch(
      /container\.rh-db -> container\.rh-web \(10\.44\.1\.10 on rh-front\): connected \(container\.rh-web:80 answered\)/,
    )
    expect(r.stdout).toMatch(
      /2 assertions rehearsed: 1 pass, 1 fails; the prediction agrees with every one rehearsed\.$/m,
    )

    // Nothing written on the host: no rule, no state; no scratch namespace left.
    expect((await sb.iptablesSave()).replace(/^#.*$/gm, '').replace(/\[\d+:\d+\]/g, '')).toBe(
      before.replace(/^#.*$/gm, '').replace(/\[\d+:\d+\]/g, ''),
    )
    expect(existsSync(join(dir.path, 'dockwall.state.json'))).toBe(false)
    // Sandboxes are named dwsb-<owner pid>-<n>; other tests' (their owners alive) may come and go meanwhile.
    const left = readdirSync(NETNS_DIR).filter((n) => !netnsBefore.includes(n) && !ownerAlive(n))
    expect(left).toEqual([])
  })

  it('the true one alone: exit 0, JSON with the prediction beside the rehearsal', async () => {
    writeFileSync(join(dir.path, 'main.hcl'), CONFIG)
    const json = parseJson<RehearsalJson>(expectExit(await run(['test', '--rehearse', '--json']), 0))
    expect(json).toMatchObject({
      pass: true,
      assertions: [
        {address: 'assert.db_reaches_web', pass: true, predicted: 'allow', rehearsed: 'allow', agrees: true},
      ],
    })
  })

  it('interrupted with SIGINT mid-run: no namespace, no dockerd, no mount left behind', async () => {
    const sb = sandbox()
    writeFileSync(join(dir.path, 'main.hcl'), CONFIG + FALSE)
    const child = execa(
      'nsenter',
      [
        `--net=${sb.netnsPath}`,
        '--',
        process.execPath,
        join(REPO_ROOT, 'bin/run.js'),
        'test',
        '--rehearse',
        ...hostArgs(sb),
      ],
      {
        cwd: dir.path,
        reject: false,
        input: '',
        env: {DOCKER_HOST: '', DOCKWALL_NETNS: '', DOCKWALL_CACHE_DIR: join(dir.path, '.cache'), NO_COLOR: '1'},
        timeout: 180_000,
      },
    )
    const pid = child.pid!
    // Mid-run: once the scratch engine answers (its socket exists), before the probes end.
    let scratch: string | undefined
    const deadline = Date.now() + 120_000
    while (Date.now() < deadline) {
      scratch = sandboxesOf(pid)[0]
      if (scratch && existsSync(join(SANDBOX_BASE, scratch, 'docker.sock'))) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(scratch, 'the rehearsal started no sandbox').toBeDefined()
    const root = join(SANDBOX_BASE, scratch!)
    expect(existsSync(join(NETNS_DIR, scratch!))).toBe(true)
    expect(findProcesses({root, netns: [scratch!]}).length).toBeGreaterThan(0)
    process.kill(pid, 'SIGINT')
    const result = await child
    expect(result.signal ?? result.exitCode).toBe('SIGINT')
    expect(existsSync(join(NETNS_DIR, scratch!))).toBe(false)
    expect(existsSync(root)).toBe(false)
    expect(findProcesses({root, netns: [scratch!], cgroupParent: scratch!})).toEqual([])
    expect(mountsUnder(root)).toEqual([])
  })
})
