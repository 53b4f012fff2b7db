// `node --import build/test/bench/trace-imports.js ...` records every module URL the ESM
// loader loads into the file named by DOCKWALL_BENCH_TRACE (lib.ts loadedPackages): how
// the startup benchmark checks that ink, hcl2-parser and dockerode load only when needed.
import {register} from 'node:module'

register('./trace-hooks.js', import.meta.url)
