// One test of which errors are oclif's usage errors, the question BaseCommand.catch,
// the fast route and diagnosticsOf each ask (they answered it with three copies before).
import {Errors} from '@oclif/core'
import {describe, expect, it} from 'vitest'

import {isUsageError} from '../../../src/cli/usage-error.js'
import {AbortError} from '../../../src/errors.js'

describe('isUsageError', () => {
  it("is true for oclif's errors and a CLIError, false for dockwall's and for non-errors", () => {
    expect(isUsageError(new Errors.CLIError('Nonexistent flag: --x'))).toBe(true)
    expect(isUsageError(Object.assign(new Error('Missing 1 required arg'), {oclif: {exit: 2}}))).toBe(true)
    expect(isUsageError(new AbortError('the state is locked'))).toBe(false)
    expect(isUsageError(new Error('a bug'))).toBe(false)
    expect(isUsageError(undefined)).toBe(false)
    expect(isUsageError('text')).toBe(false)
  })
})
