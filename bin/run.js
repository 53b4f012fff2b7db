#!/usr/bin/env node
import {execute} from '@oclif/core'

import {globalArgv} from '../dist/src/cli/global-argv.js'

// Terraform's global options (-chdir=DIR, -version) come before the command; a bad one
// is a usage error (exit 1) like any other.
let args
try {
  const global = globalArgv(process.argv.slice(2))
  args = global.argv
  if (global.chdir !== undefined) {
    try {
      process.chdir(global.chdir)
    } catch (error) {
      throw new Error(`-chdir=${global.chdir}: ${error.code === 'ENOENT' ? 'no such directory' : error.code}`)
    }
  }
} catch (error) {
  process.stderr.write(`Error: ${error.message}\n`)
  process.exit(1)
}

await execute({dir: import.meta.url, args})
