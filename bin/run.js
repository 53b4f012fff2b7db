#!/usr/bin/env node
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {URL} from 'node:url'

import {fastPathOutput} from '../dist/src/cli/fast-path.js'
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

// --help and version without oclif (src/cli/fast-path.ts): its load costs more than a bare node start.
const fast = fastPathOutput(args, {
  stdoutIsTTY: process.stdout.isTTY === true,
  env: process.env,
  readHelp: () => {
    try {
      return JSON.parse(readFileSync(new URL('../dist/help.json', import.meta.url), 'utf8'))
    } catch {
      return undefined
    }
  },
})
if (fast !== undefined) process.stdout.write(fast)
// explain, plan and validate without oclif (src/cli/fast-route.ts): the lines they read as
// oclif would, answered without a warning; apply and destroy --auto-approve, not
// interactive, printing as oclif would. They give back the others, having printed nothing.
else if (!(await fastRoute(args))) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url, args})
}

async function fastRoute(argv) {
  // fast-route's ROUTED, without loading it for the other commands. One CommonJS file
  // (packaging/bundle.mjs): required, it loads faster than as ES modules.
  if (
    argv[0] === 'explain' ||
    argv[0] === 'plan' ||
    argv[0] === 'validate' ||
    argv[0] === 'apply' ||
    argv[0] === 'destroy'
  )
    return createRequire(import.meta.url)('../dist/src/cli/fast-route.cjs').runFastRoute(argv)
  return false
}
