// `node --import build/test/bench/trace-imports.js ...` records every module the process
// loads into the file named by DOCKWALL_BENCH_TRACE (lib.ts loadedPackages): how the
// startup benchmark checks that ink, hcl2-parser and dockerode load only when needed. ES
// modules through the loader hooks (trace-hooks.ts); CommonJS files through Module._load,
// since the routes bin/run.js runs without oclif are one CommonJS file that require()s its
// packages (packaging/bundle.mjs).
import {appendFileSync} from 'node:fs'
import Module, {register} from 'node:module'
import {pathToFileURL} from 'node:url'

register('./trace-hooks.js', import.meta.url)

const out = process.env.DOCKWALL_BENCH_TRACE
/** Module's internals, not in its types: the loader every require() goes through. */
interface Loader {
  _load(request: string, parent: unknown, isMain: boolean): unknown
  _resolveFilename(request: string, parent: unknown, isMain: boolean): string
}
const loader = Module as unknown as Loader
const load = loader._load.bind(loader)
loader._load = (request, parent, isMain) => {
  if (out && !request.startsWith('node:')) {
    try {
      const file = loader._resolveFilename(request, parent, isMain)
      if (file.startsWith('/')) appendFileSync(out, `${pathToFileURL(file).href}\n`)
    } catch {
      // Unresolvable: the require below throws its own error.
    }
  }
  return load(request, parent, isMain)
}
