// Which dockerd the sandbox runs: the system's (docker.io from the distribution)
// or a private copy of a newer one for the test matrix (see trixie.ts).
import {AbortError} from '../../src/errors.js'
import {run} from '../../src/util/exec.js'
import {findExecutable, INSTALL_COMMAND} from './preconditions.js'
import {ensureTrixieEngine} from './trixie.js'

export type EngineName = 'system' | 'trixie'

export interface Engine {
  name: EngineName
  dockerd: string
  /** Directories put in front of dockerd's PATH (its own docker-proxy, docker-init). */
  pathDirs: string[]
  /** `20.10.24+dfsg1`, as `dockerd --version` prints it. */
  version: string
  major: number
}

const cache = new Map<EngineName, Promise<Engine>>()

export function resolveEngine(name: EngineName): Promise<Engine> {
  let promise = cache.get(name)
  if (!promise) {
    promise =
      name === 'trixie' ? ensureTrixieEngine().then((e) => describe('trixie', e.dockerd, e.pathDirs)) : systemEngine()
    promise.catch(() => cache.delete(name))
    cache.set(name, promise)
  }
  return promise
}

async function systemEngine(): Promise<Engine> {
  const dockerd = findExecutable('dockerd')
  if (!dockerd) {
    throw new AbortError(
      `Cannot start the Docker sandbox: dockerd is not installed (package docker.io). As root: apt-get update && ${INSTALL_COMMAND}`,
      `As root: apt-get update && ${INSTALL_COMMAND}`,
    )
  }
  return describe('system', dockerd, [])
}

async function describe(name: EngineName, dockerd: string, pathDirs: string[]): Promise<Engine> {
  const {stdout} = await run(dockerd, ['--version'])
  const match = /version (\d+)\.(\d+)\.(\S+?),/.exec(stdout) ?? /version (\d+)\.(\d+)\.(\S+)/.exec(stdout)
  if (!match) throw new Error(`cannot read the version of ${dockerd}: ${stdout.trim()}`)
  return {name, dockerd, pathDirs, version: `${match[1]}.${match[2]}.${match[3]}`, major: Number(match[1])}
}
