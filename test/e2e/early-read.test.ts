// A session starts the host's iptables-save before it reads a large configuration and takes
// the state lock (src/services/session.ts), so the save runs beside the loading. What it
// read is used only when no other dockwall can have changed the host since: a plan that
// had to wait for the lock reads the host again, and so sees what the holder changed.
// Engine-independent (iptables only): runs on the matrix's first engine, both backends.
import {readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterAll, describe, expect, it} from 'vitest'

import {dockwall, expectExit, hostArgs, workdir} from './dockwall-e2e.js'
import {BACKENDS, useSandbox} from '../helpers/sandbox.js'
import {EARLY_SAVES_MIN_BYTES} from '../../src/services/session.js'
import {acquireLock} from '../../src/state/lock.js'

const CONFIG = `
rule "er_web" {
  from  = "10.44.1.0/24"
  to    = "10.44.1.10"
  proto = "tcp"
  port  = 80
}
`

describe.each(BACKENDS)('the host read before the state lock is held (%s)', (backend) => {
  const sandbox = useSandbox(backend, {image: false})
  const dir = workdir(`early-read-${backend}`)
  afterAll(() => dir.remove())

  it('a plan that waited for the lock sees a rule inserted while it waited', async () => {
    const sb = sandbox()
    writeFileSync(join(dir.path, 'main.hcl'), CONFIG)
    // Large enough for the saves to start before it is read (a long comment: cheap to read).
    writeFileSync(join(dir.path, 'padding.hcl'), `# ${'x'.repeat(EARLY_SAVES_MIN_BYTES)}\n`)
    const statePath = join(dir.path, 'state.json')
    const args = ['-c', dir.path, '--state', statePath, '--no-color', ...hostArgs(sb)]
    expectExit(await dockwall(sb, dir.path, ['apply', '--auto-approve', ...args]), 0)
    expectExit(await dockwall(sb, dir.path, ['plan', '--detailed-exitcode', ...args]), 0)

    // Given another dockwall holding the lock, and a plan waiting for it
    const held = await acquireLock(statePath, {timeoutMs: 0, operation: 'dockwall apply (the test)'})
    let plan: ReturnType<typeof dockwall> | undefined
    try {
      plan = dockwall(sb, dir.path, ['plan', '--detailed-exitcode', '--lock-timeout', '60s', ...args])
      // It asks for the lock (its temporary lock file appears) after its saves started; a
      // small host's saves take a few tens of milliseconds.
      const deadline = Date.now() + 30_000
      while (!readdirSync(dir.path).some((f) => f.startsWith('state.json.lock.tmp-'))) {
        if (Date.now() > deadline) throw new Error('the plan never asked for the state lock')
        await sleep(20)
      }
      await sleep(1500)
      // When the holder inserts a rule into dockwall's chain before it lets go
      await sb.iptables(['-I', 'DOCKWALL-FORWARD', '1', '-s', '10.44.9.9/32', '-j', 'ACCEPT'])
    } finally {
      await held.release()
    }
    // Then the plan read the host after the lock: the rule is drift to remove
    const r = expectExit(await plan, 2)
    expect(r.stdout).toContain('has a rule dockwall did not write')
    expect(r.stdout).toContain('10.44.9.9')
  })
})
