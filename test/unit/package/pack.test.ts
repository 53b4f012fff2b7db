// What `npm pack` ships: the CLI (bin/, the compiled src/ and commands/), its manifest and
// its documentation, and nothing of the test tooling (the Docker sandbox, benchmarks, demo).
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'

import {REPO_ROOT} from '../../helpers/cli.js'

const ALLOWED = [
  /^bin\/run\.js$/,
  /^dist\/(src|commands)\//,
  /^oclif\.manifest\.json$/,
  /^package\.json$/,
  /^README\.md$/,
  /^docs\//,
  /^schema\//,
]

describe('npm pack', () => {
  it('ships the CLI, its manifest and docs, and no test code', async () => {
    const {stdout} = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {cwd: REPO_ROOT})
    const files = (JSON.parse(stdout) as Array<{files: Array<{path: string}>}>)[0]!.files.map((f) => f.path)
    expect(files).toContain('bin/run.js')
    expect(files).toContain('dist/commands/apply.js')
    expect(files).toContain('oclif.manifest.json')
    expect(files).toContain('schema/dockwall.schema.json')
    expect(files.filter((f) => !ALLOWED.some((re) => re.test(f)))).toEqual([])
    expect(files.filter((f) => /sandbox|\/test\/|bench|demo/.test(f))).toEqual([])
  })
})
