// Shared by the state tests: temp directories, sample states, and TypeScript child
// processes (through ts-loader.mjs) for the tests that need real separate processes.
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import process from 'node:process'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'
import type {ResultPromise} from 'execa'
import {afterEach} from 'vitest'

export {network, rule, sampleState} from './samples.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const loader = join(here, 'ts-loader.mjs')

// Every directory makeTmpDir hands out is removed after the test.
const made: string[] = []
afterEach(async () => {
  await Promise.all(made.splice(0).map((d) => rm(d, {recursive: true, force: true})))
})

export async function makeTmpDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dockwall-state-'))
  made.push(dir)
  return dir
}

/** Runs test/unit/state/<script> in its own `node`, with the TypeScript sources. */
export function runChild(
  script: string,
  args: string[],
  opts: {env?: Record<string, string>} = {},
): ResultPromise<{reject: false; all: true}> {
  return execa(process.execPath, ['--import', loader, join(here, script), ...args], {
    reject: false,
    all: true,
    env: opts.env,
  })
}

/** An address of the shape dockwall writes for `type` (the state refuses any other on read). */
export function addressFor(type: string, label: string): string {
  const special: Record<string, string> = {
    attachment: `container.${label}.network.${label}`,
    route: `container.${label}.route["10.0.0.0/24"]`,
    firewall: 'firewall',
    chain: `chain["container.${label}:DOCKWALL-FORWARD"]`,
  }
  return special[type] ?? `${type}.${label}`
}
