import {defineConfig} from 'vitest/config'

// Two projects: unit tests run in parallel and touch nothing outside the process;
// e2e tests start real Docker engines in private network namespaces (see src/sandbox),
// so they get long timeouts and a bounded number of workers.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
        },
      },
    ],
  },
})
