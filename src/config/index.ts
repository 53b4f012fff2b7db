// Public entry of the configuration loader. (Stub: the loader is being written.)
import type {Diagnostic} from '../errors.js'
import type {DesiredModel} from '../model/types.js'

export interface LoadOptions {
  /** Directory or file (`-c/--config`). */
  path: string
  /** `--var NAME=VALUE` entries, in command-line order. */
  vars?: string[]
  /** `--var-file FILE` paths. */
  varFiles?: string[]
  /** Environment to read DOCKWALL_VAR_* from; defaults to process.env. */
  env?: Record<string, string | undefined>
}

export interface LoadResult {
  /** Present when there are no errors (warnings may exist). */
  model?: DesiredModel
  diagnostics: Diagnostic[]
}

export async function loadConfig(_opts: LoadOptions): Promise<LoadResult> {
  return {diagnostics: [{severity: 'error', summary: 'not implemented'}]}
}
