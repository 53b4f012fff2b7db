// Lets a plain `node` child process run the TypeScript sources, so the tests that
// need real separate processes (killed writers, lock races) exercise src/state
// itself, not a build of it: `node --import ./ts-loader.mjs child.ts`.
import {register} from 'node:module'

register('./ts-hooks.mjs', import.meta.url)
