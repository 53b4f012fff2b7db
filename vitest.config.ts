import {defineConfig, type TestProjectInlineConfiguration} from 'vitest/config'

import {E2E_ENGINES, ENGINE_INDEPENDENT, ENGINE_VARIABLE} from './test/helpers/matrix.js'

const E2E_FILES = 'test/e2e/**/*.test.ts'

// One e2e project per Docker engine (test/helpers/matrix.ts): each sets the engine its
// sandboxes start. They share one group, hence one pool of workers: engines run side by
// side, each test file in its own process with its own sandboxes. The sandboxes spend
// most of their time waiting on dockerd and on nc timeouts, not on the CPU, so there are
// more workers than the CI machine's 2 CPUs.
const E2E_WORKERS = 4

const e2eProjects: TestProjectInlineConfiguration[] = E2E_ENGINES.map((e) => ({
  test: {
    name: e.project,
    include: e.files === 'all' ? [E2E_FILES] : [...e.files],
    // Engine-independent files run once, in the default project.
    exclude: e.project === 'e2e' ? [] : [...ENGINE_INDEPENDENT],
    env: {[ENGINE_VARIABLE]: e.engine},
    environment: 'node',
    // Removes sandboxes left by earlier runs before the tests start (and this run's strays at the end).
    globalSetup: ['test/e2e/global-setup.ts'],
    // Child processes, not threads: a sandbox registers process exit and signal handlers.
    pool: 'forks',
    // A hang guard, not a speed check: a CI run loaded to 15-30 on 2 CPUs took over 180 s for
    // tests of 20-odd CLI runs (cli.test.ts refresh-only, faults.test.ts corrupt states).
    testTimeout: 360_000,
    hookTimeout: 180_000,
    maxWorkers: E2E_WORKERS,
    // Projects with different maxWorkers need their own group: e2e runs after unit.
    sequence: {groupOrder: 1},
  },
}))

// Two kinds of projects: unit tests run in parallel and touch nothing outside the process;
// e2e tests start real Docker engines in private network namespaces (see test/sandbox),
// so they get long timeouts and a bounded number of workers.
export default defineConfig({
  test: {
    // The failed tests once more after the summary: CI logs keep only the tail.
    reporters: ['default', './test/helpers/failure-tail-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}'],
          environment: 'node',
          // Some unit tests start the built CLI or child processes (state lock races): generous under load.
          testTimeout: 30_000,
          // Ink renders only a final frame when it thinks it runs in CI (is-in-ci reads CI at import);
          // dockwall shows Ink views only on a terminal outside CI, so the views are tested that way.
          env: {CI: 'false'},
        },
      },
      ...e2eProjects,
    ],
  },
})
