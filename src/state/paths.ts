// Where the state and its companions live. No dependencies, so src/cli/flags.ts can
// import it without loading zod or write-file-atomic into every command.
import {resolve} from 'node:path'

/** Where the state lives when neither --state, DOCKWALL_STATE nor the configuration says. */
export const DEFAULT_STATE_FILE = 'dockwall.state.json'

/** `--state` (or DOCKWALL_STATE, which oclif feeds into the flag) wins, then the configuration, then the default. */
export function resolveStatePath(flag?: string, configured?: string): string {
  return flag ?? configured ?? DEFAULT_STATE_FILE
}

/** The previous state, as it was before this process first wrote the file. */
export function backupPathFor(statePath: string): string {
  return `${statePath}.backup`
}

export function lockPathFor(statePath: string): string {
  return `${resolve(statePath)}.lock`
}
