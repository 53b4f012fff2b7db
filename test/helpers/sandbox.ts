// vitest glue for the Docker sandbox (test/sandbox): one engine per describe block,
// started in beforeAll and stopped in afterAll whatever happened in between.
// There is deliberately no skip logic: without root, Docker or iptables the start
// fails with a message that says what to install, and the run fails (CI=true or not).
import {afterAll, beforeAll} from 'vitest'

import {Sandbox, type Backend, type SandboxOptions} from '../sandbox/index.js'

export type {Backend} from '../sandbox/index.js'

/**
 * Registers beforeAll/afterAll hooks in the current describe block and returns an
 * accessor for the running sandbox (it throws if the sandbox failed to start).
 *
 *   const sandbox = useSandbox('legacy')
 *   it('...', async () => { await sandbox().runContainer('web', {network: 'front'}) })
 */
export function useSandbox(backend: Backend, opts: Omit<SandboxOptions, 'backend'> = {}): () => Sandbox {
  let sandbox: Sandbox | undefined
  beforeAll(async () => {
    // start() removes whatever it created if it fails part-way.
    sandbox = await Sandbox.start({...opts, backend})
  })
  afterAll(async () => {
    await sandbox?.stop()
  })
  return () => {
    if (!sandbox) throw new Error(`the ${backend} sandbox is not running (see the beforeAll error above)`)
    return sandbox
  }
}
