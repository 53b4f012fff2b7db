import {defineConfig} from 'vitest/config'

// Two projects: unit tests run in parallel and touch nothing outside the process;
// e2e tests start real Docker engines in private network namespaces (see test/sandbox),
// so they get long timeouts and a bounded number of workers.
export default defineConfig({
  test: {
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
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          // Removes sandboxes left by earlier runs before the tests start (and this run's strays at the end).
          globalSetup: ['test/e2e/global-setup.ts'],
          // Child processes, not threads: a sandbox registers process exit and signal handlers.
          pool: 'forks',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
          // Projects with different maxWorkers need their own group: e2e runs after unit.
          sequence: {groupOrder: 1},
        },
      },
    ],
  },
})
