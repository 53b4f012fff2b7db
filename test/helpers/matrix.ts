// The e2e engine matrix: which Docker engine each e2e vitest project runs, and which
// e2e files each one covers. vitest.config.ts builds one project per engine from this
// table, sets DOCKWALL_SANDBOX_ENGINE in its workers, and `useSandbox` (which calls
// Sandbox.start without an engine) starts that engine. A new file under test/e2e/ is
// therefore run on every engine marked `files: 'all'`, on whatever backends it iterates
// (`describe.each(BACKENDS)`), with no change here.
//
// vitest.config.ts loads it: it imports only modules without imports of their own.
import {ENGINE_VARIABLE, type EngineName} from '../../src/sandbox/engine-names.js'
import type {Backend} from '../../src/sandbox/record.js'

export {ENGINE_VARIABLE}

export interface E2eEngine {
  /** vitest project name: `--project e2e-28` runs only that engine. */
  project: string
  engine: EngineName
  /** For test titles and reports. */
  label: string
  /** `all`: every e2e file except the engine-independent ones; otherwise these files only. */
  files: 'all' | readonly string[]
}

export const E2E_ENGINES: readonly E2eEngine[] = [
  // `e2e` stays the name of Debian 12's engine, so `--project e2e FILE` keeps its meaning.
  {project: 'e2e', engine: 'system', label: 'Docker 20.10', files: 'all'},
  {project: 'e2e-28', engine: 'sid', label: 'Docker 28.5', files: 'all'},
  {
    project: 'e2e-26',
    engine: 'trixie',
    label: 'Docker 26.1',
    files: [
      'test/e2e/apply.test.ts',
      'test/e2e/import.test.ts',
      'test/e2e/engines.test.ts',
      'test/e2e/sandbox.test.ts',
      'test/e2e/explain.test.ts',
      'test/e2e/lockout.test.ts',
      // Issue 15's faults run on every engine: the fault cases, the rollback window, watch's
      // drift repair (apply.test.ts above holds "two applies at once").
      'test/e2e/faults.test.ts',
      'test/e2e/confirm.test.ts',
      'test/e2e/watch.test.ts',
    ],
  },
]

/** Files that start no Docker engine (iptables in scratch namespaces): run once, in the `e2e` project. */
export const ENGINE_INDEPENDENT: readonly string[] = ['test/e2e/netfilter-*.test.ts', 'test/e2e/early-read.test.ts']

/** Both iptables backends: every e2e scenario runs on each, `describe.each(BACKENDS)`. */
export const BACKENDS: readonly Backend[] = ['nft', 'legacy']
