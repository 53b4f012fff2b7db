// The state module's public face: the state file (format, store), its lock, and
// the small edits apply and the `state` commands make.
export {STATE_VERSION, RESOURCE_TYPES} from './types.js'
export type {State, StateResource} from './types.js'
export {
  decodeState,
  encodeState,
  stateContentEqual,
  sameResources,
  sortResources,
  compareAddresses,
  STATE_UPGRADES,
  diskIds,
  resourceOnDisk,
} from './format.js'
export type {StateUpgrade, RawState, DiskResource} from './format.js'
export {checkStateFiles, readState, restoreStateBytes, stageState, writeState} from './store.js'
export type {StagedState, StoreOptions} from './store.js'
export {acquireLock, forceUnlock, readLock, describeHolder} from './lock.js'
export type {Lock, LockInfo, LockOptions} from './lock.js'
export {DEFAULT_STATE_FILE, resolveStatePath, backupPathFor, lockPathFor} from './paths.js'
export {newState, getResource, putResource, removeResources, matchAddresses} from './resources.js'
export {parseDuration, formatDuration} from './duration.js'
