// What `npm pack` ships: the CLI (bin/, the bundled commands/ and their chunks), its manifest and
// its documentation, and nothing of the test tooling (test helpers, benchmarks, demo). The
// sandbox engine is src/sandbox now: `dockwall test --rehearse` runs on it, so it ships.
import {readdir, readFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

import {execa} from 'execa'
import {describe, expect, it} from 'vitest'

import {REPO_ROOT} from '../../helpers/cli.js'

const ALLOWED = [
  /^bin\/run\.js$/,
  /^dist\/(src|commands|chunks)\//,
  // oclif's help, rendered at build time for bin/run.js's fast path (src/cli/fast-path.ts).
  /^dist\/help\.json$/,
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
    expect(files).toContain('dist/help.json')
    expect(files).toContain('schema/dockwall.schema.json')
    // The JSON formats scripts read are documented in files the package ships.
    expect(files).toContain('docs/PLAN-JSON.md')
    expect(files).toContain('docs/STATE-FORMAT.md')
    expect(files.filter((f) => !ALLOWED.some((re) => re.test(f)))).toEqual([])
    // The sandbox engine is bundled into the chunks of `dockwall test` (packaging/bundle.mjs).
    expect(files).toContain('dist/commands/test.js')
    expect(files.some((f) => f.startsWith('dist/chunks/'))).toBe(true)
    expect(files.filter((f) => /\/test\/|bench|demo|fetch-engines|\.test\./.test(f))).toEqual([])
  })
})

describe('the bundle', () => {
  // Classic zod was about 380 kB that every command compiled (src/util/zod.ts): the bundle
  // holds zod/mini, with the English messages and no other language.
  it('holds zod/mini and its English messages, not classic zod', async () => {
    // dist/chunks/ (oclif's commands) and dist/src/cli/fast-route.cjs (the routes bin/run.js runs without oclif).
    const dir = join(REPO_ROOT, 'dist/chunks')
    const chunks = (await readdir(dir, {recursive: true})).filter((f) => f.endsWith('.js')).map((f) => join(dir, f))
    const files = [...chunks, join(REPO_ROOT, 'dist/src/cli/fast-route.cjs')]
    // esbuild marks where each bundled module starts: `// node_modules/zod/v4/core/schemas.js`.
    const zodIn = async (file: string) =>
      [...(await readFile(file, 'utf8')).matchAll(/^\/\/ node_modules\/zod\/(\S+)$/gm)].map((m) => m[1]!)
    const perFile = await Promise.all(files.map(zodIn))
    expect(perFile.at(-1)).toContain('v4/mini/schemas.js')
    const zod = new Set(perFile.flat())
    expect(zod).toContain('v4/mini/schemas.js')
    expect(zod).toContain('v4/locales/en.js')
    // No other language: its file would be there (locales/index.js, which names them all, is
    // an empty module in the CommonJS file, its exports shaken off).
    expect(
      [...zod].filter((m) => m.startsWith('v4/classic/') || /^v4\/locales\/(?!en\.js$|index\.js$)/.test(m)),
    ).toEqual([])
  })

  // The routes' CommonJS file cannot require() ink (an ES module with top-level await): its
  // Ink views stay import()s of ES-module files built beside it (packaging/bundle.mjs). The
  // routes hand a terminal to oclif, so no e2e test reaches them: checked here.
  it("fast-route.cjs's import()s of the Ink views name the ES modules beside it", async () => {
    const file = join(REPO_ROOT, 'dist/src/cli/fast-route.cjs')
    const text = await readFile(file, 'utf8')
    const relative = [...text.matchAll(/\bimport\("(\.[^"]+)"\)/g)].map((m) => m[1]!)
    expect(relative.sort()).toEqual(['../ui/apply-progress.js', '../ui/plan-review.js'])
    const view = (name: string) =>
      import(pathToFileURL(resolve(dirname(file), name)).href) as Promise<Record<string, unknown>>
    expect(typeof (await view('../ui/apply-progress.js')).mountApplyProgress).toBe('function')
    expect(typeof (await view('../ui/plan-review.js')).reviewPlanInteractive).toBe('function')
  })
})
