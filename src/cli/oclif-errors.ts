// oclif's errors module (@oclif/core/errors: CLIError, warn, handle) on its own, loaded on
// first use. `import {Errors} from '@oclif/core'` loads all of oclif's index (its config,
// parser, help: most of the 0.15-0.2 s bin/run.js's routes save); apply and destroy need
// these only for a warning or a refused line. Synchronous (oclif is CommonJS): a warning
// is printed at the moment it happens, as Command.warn prints it, between the lines around
// it. The same module instance as the one oclif's Command uses (one require cache).
import {createRequire} from 'node:module'

import type * as OclifErrors from '@oclif/core/errors'

let loaded: typeof OclifErrors | undefined

export function oclifErrors(): typeof OclifErrors {
  loaded ??= createRequire(import.meta.url)('@oclif/core/errors') as typeof OclifErrors
  return loaded
}
