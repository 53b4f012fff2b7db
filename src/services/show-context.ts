// What show and explain read before the host: the configuration when there is one, and
// the state. Apart from show.ts so that explain, which often has neither, loads neither
// the configuration loader nor the state's decoder (zod's schemas) for nothing.
import {lstat} from 'node:fs/promises'

import {ConfigNotFoundError} from '../errors.js'
import type {DesiredModel} from '../model/types.js'
import type {State} from '../state/index.js'
import {resolveStatePath} from '../state/paths.js'
import {errnoCode} from '../util/errno.js'
import {loadModel, type SessionSettings} from './session.js'

export interface ShowContext {
  /** The configuration, when there is one: it names the state file and the container namespaces that matter. */
  model: DesiredModel | null
  statePath: string
  state: State | null
}

/** Loads the configuration if there is one (a broken one is reported through `warn`, then left out), and the state. */
export async function readShowContext(
  settings: SessionSettings,
  warn: (message: string) => void,
): Promise<ShowContext> {
  let model: DesiredModel | null = null
  try {
    model = (await loadModel(settings)).model
  } catch (err) {
    // No configuration at all is fine here; a broken one is worth saying, since it narrows what is read.
    if (!(err instanceof ConfigNotFoundError)) {
      const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)
      warn(`configuration not loaded (${message}): showing the host and the containers in the state only`)
    }
  }
  const statePath = resolveStatePath(settings.state, model?.settings.statePath)
  return {model, statePath, state: await readStateIfAny(statePath)}
}

/** readState, with the state module loaded only when there is a file to read (readState says null when there is none). */
async function readStateIfAny(path: string): Promise<State | null> {
  try {
    await lstat(path)
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null
    // Anything else: readState says what is wrong, as before.
  }
  const {readState} = await import('../state/store.js')
  return readState(path)
}
