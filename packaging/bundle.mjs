// `npm run build`, after tsc: bundles dist/ into a few ES modules, so a command loads a
// handful of files instead of ~370 (dist/src, execa, zod, diff). Node 20 pays about 1 ms
// per ES module it resolves, reads and compiles; measured on `dockwall plan` of a small
// configuration, 2 CPUs: 1.8 s -> 1.4 s of CPU (see the commit that added this file).
//
// Entry points keep their paths (oclif finds commands, the help class and hooks through
// package.json and the manifest; bin/run.js imports global-argv.js and fast-path.js);
// shared code goes to dist/chunks/ (dist/chunks/fast/ for bin/run.js's two, a build of
// their own), and a dynamic import (the Ink views) stays a chunk of its own, loaded only on
// a terminal. The routes bin/run.js runs without oclif are one CommonJS file of their own,
// dist/src/cli/fast-route.cjs (the last build below).
//
// Only pure ES-module packages are bundled. Everything else stays an import of
// node_modules: oclif (it loads commands itself and compares their classes with its own),
// dockerode and the other CommonJS packages (their require() calls, __dirname and
// optional native parts do not survive bundling into ES modules), ink and react (loaded
// only for a terminal).
import {readdirSync, renameSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {build} from 'esbuild'

const DIST = 'dist'
const OUT = 'dist.bundle'
// execa's own ES-module dependencies too: left external they were about 40 more modules (and
// their package.json files) to resolve and load before `dockwall explain` could start a process
// (issue 16). cross-spawn and its helpers are CommonJS and stay external; signal-exit's ES-module build is taken.
const EXECA_DEPENDENCIES = [
  '@sec-ant/readable-stream',
  '@sindresorhus/merge-streams',
  'figures',
  'get-stream',
  'human-signals',
  'is-plain-obj',
  'is-stream',
  'is-unicode-supported',
  'npm-run-path',
  'parse-ms',
  'path-key',
  'pretty-ms',
  'signal-exit',
  'strip-final-newline',
  'unicorn-magic',
  'yoctocolors',
]
const BUNDLED_PACKAGES = new Set(['execa', 'zod', 'diff', ...EXECA_DEPENDENCIES])

function jsFiles(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
  )
}

/** The package name of a bare specifier (`zod/v4` -> `zod`, `@oclif/core` -> `@oclif/core`); undefined for paths. */
function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

const onlyPureEsm = {
  name: 'only-pure-esm',
  setup(b) {
    b.onResolve({filter: /.*/}, (args) => {
      if (args.kind === 'entry-point') return undefined
      const pkg = packageOf(args.path)
      if (pkg === undefined || BUNDLED_PACKAGES.has(pkg)) return undefined
      return {path: args.path, external: true}
    })
  },
}

/** The Ink views (src/ui), each an import() of src/ui/index.ts or apply-reporter.ts. */
const INK_VIEWS = ['plan-review.js', 'apply-progress.js']

/** In the CommonJS build: the Ink views stay import()s of the ES-module build, next to it in dist/src/ui/. */
const inkViewsOutside = {
  name: 'ink-views-outside',
  setup(b) {
    const views = new RegExp(`^\\./(${INK_VIEWS.map((v) => v.replaceAll('.', '\\.')).join('|')})$`)
    b.onResolve({filter: views}, (args) =>
      args.kind === 'dynamic-import' && dirname(args.importer).endsWith(join(DIST, 'src/ui'))
        ? {path: `../ui/${args.path.slice(2)}`, external: true}
        : undefined,
    )
  },
}

const common = {
  outdir: OUT,
  outbase: DIST,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [onlyPureEsm],
  logLevel: 'warning',
}
rmSync(OUT, {recursive: true, force: true})
// What oclif loads: the commands, hooks and help class, sharing chunks.
await build({
  ...common,
  entryPoints: [
    ...jsFiles(join(DIST, 'commands')),
    ...jsFiles(join(DIST, 'src/cli/hooks')),
    join(DIST, 'src/cli/help.js'),
  ],
  chunkNames: 'chunks/[name]-[hash]',
})
// What bin/run.js loads before oclif (global-argv.js, fast-path.js) and the two Ink views of
// the routes' build below: a build of their own. Sharing chunks with the ~30 commands cut
// their code into pieces by which commands use it.
await build({
  ...common,
  entryPoints: [
    join(DIST, 'src/cli/global-argv.js'),
    join(DIST, 'src/cli/fast-path.js'),
    ...INK_VIEWS.map((v) => join(DIST, 'src/ui', v)),
  ],
  chunkNames: 'chunks/fast/[name]-[hash]',
})
// The routes that do without oclif (plan, validate, explain, apply/destroy --auto-approve):
// one CommonJS file, dist/src/cli/fast-route.cjs, that bin/run.js requires. Node 20's ES
// module loader costs about 1-2 ms per module it links and evaluates, asynchronously, where
// require() of one file costs one compile: as 37 ES modules a small plan took 371 ms, as this
// one file 321 ms (whole process, nft, 20 interleaved runs on a sandbox engine, 2 CPUs; the
// commit that made it gives the figures). What changes with the format:
// - every module in it was an ES module, strict: so is the file ('use strict' first);
// - import.meta.url is this file's URL (version.ts and packageRoot walk up to package.json
//   from it; createRequire resolves from it);
// - the route's own import()s are inlined, still evaluated on first use; a package left out
//   is require()d on first use too, except the Ink views, ES modules of ink (which cannot
//   be required): those stay an import() of the build above, for a terminal only.
await build({
  ...common,
  splitting: false,
  format: 'cjs',
  entryPoints: [join(DIST, 'src/cli/fast-route.js')],
  outdir: undefined,
  outfile: join(OUT, 'src/cli/fast-route.cjs'),
  define: {'import.meta.url': '__importMetaUrl'},
  banner: {js: "'use strict';\nconst __importMetaUrl = require('node:url').pathToFileURL(__filename).href;"},
  plugins: [inkViewsOutside, onlyPureEsm],
})
rmSync(DIST, {recursive: true, force: true})
renameSync(OUT, DIST)
