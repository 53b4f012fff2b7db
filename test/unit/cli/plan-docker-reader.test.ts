// `dockwall plan` opens a read-only session: the small Docker reader, not dockerode
// (test/unit/services/session-docker-reader.test.ts; issue 13, a small plan's start-up).
import {describe, expect, it, vi} from 'vitest'

import {runPlan, type PlanFlags} from '../../../src/cli/plan-flow.js'
import type * as SessionModule from '../../../src/services/session.js'
import type {SessionOptions} from '../../../src/services/session.js'

const opened = vi.hoisted(() => ({options: [] as unknown[]}))
vi.mock('../../../src/services/session.js', async (importOriginal) => ({
  ...(await importOriginal<typeof SessionModule>()),
  openSession: (opts: unknown) => {
    opened.options.push(opts)
    return Promise.reject(new Error('stop here'))
  },
}))

describe('runPlan', () => {
  it('asks for a session that only reads Docker', async () => {
    const flags = {config: '.', 'lock-timeout': 0, json: false, 'no-tty': true, input: false} as unknown as PlanFlags
    await expect(runPlan(flags, {log: () => {}, warn: () => {}, bin: 'dockwall'})).rejects.toThrow('stop here')
    expect(opened.options).toHaveLength(1)
    expect((opened.options[0] as SessionOptions).dockerReadOnly).toBe(true)
    expect((opened.options[0] as SessionOptions).operation).toBe('plan')
  })
})
