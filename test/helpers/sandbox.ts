// vitest glue for the Docker sandbox (test/sandbox): one engine per describe block,
// started in beforeAll and stopped in afterAll whatever happened in between.
// There is deliberately no skip logic: without root, Docker or iptables the start
// fails with a message that says what to install, and the run fails (CI=true or not).
//
// The engine is the e2e project's (test/helpers/matrix.ts: `e2e` runs Docker 20.10,
// `e2e-28` Docker 28.5, `e2e-26` Docker 26.1), so a file written as
//
//   describe.each(BACKENDS)('thing on %s', (backend) => {
//     const sandbox = useSandbox(backend)
//     ...
//   })
//
// runs on every engine × backend of the matrix without naming either.
import {afterAll, beforeAll} from 'vitest'

import {Sandbox, type Backend, type SandboxOptions} from '../sandbox/index.js'
import {defaultEngine, type EngineName} from '../../src/sandbox/engine.js'

export type {Backend} from '../sandbox/index.js'
export {BACKENDS} from './matrix.js'

/** The engine this e2e project runs (DOCKWALL_SANDBOX_ENGINE; `system` outside the e2e projects). */
export function e2eEngine(): EngineName {
  return defaultEngine()
}

/**
 * Registers beforeAll/afterAll hooks in the current describe block and returns an
 * accessor for the running sandbox (it throws if the sandbox failed to start).
 * `opts.engine` overrides the project's engine (rarely right: it leaves the matrix).
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
