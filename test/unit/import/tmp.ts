// A temporary configuration directory for round-trip tests: write HCL, load it.
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {loadConfig, type LoadResult} from '../../../src/config/index.js'

export async function loadHcl(text: string, name = 'main.hcl'): Promise<LoadResult & {file: string}> {
  const dir = await mkdtemp(join(tmpdir(), 'dockwall-import-'))
  try {
    const file = join(dir, name)
    await writeFile(file, text)
    return {...(await loadConfig({path: dir, env: {}})), file}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}
