// Loading the configuration for a session: a missing configuration is told apart from
// a broken one by the error's type (show --actual reads the host without one).
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ConfigError, ConfigNotFoundError} from '../../../src/errors.js'
import {loadModel} from '../../../src/services/session.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockwall-session-'))
  process.env.DOCKWALL_CACHE_DIR = join(dir, '.cache')
})
afterEach(async () => {
  delete process.env.DOCKWALL_CACHE_DIR
  await rm(dir, {recursive: true, force: true})
})

async function loadError(config: string): Promise<unknown> {
  return loadModel({config}).then(
    () => {
      throw new Error('expected the load to fail')
    },
    (err: unknown) => err,
  )
}

describe('loadModel', () => {
  it('throws ConfigNotFoundError when the path does not exist or holds no configuration file', async () => {
    expect(await loadError(join(dir, 'nope'))).toBeInstanceOf(ConfigNotFoundError)
    expect(await loadError(dir)).toBeInstanceOf(ConfigNotFoundError)
  })

  it('throws a plain ConfigError for a configuration that exists but is invalid', async () => {
    await writeFile(join(dir, 'main.hcl'), 'network "front" {\n  subnet =\n}\n')
    const err = await loadError(dir)
    expect(err).toBeInstanceOf(ConfigError)
    expect(err).not.toBeInstanceOf(ConfigNotFoundError)
  })
})
