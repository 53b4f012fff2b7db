// Turns the shared flag groups into session options.
import type {BackendSetting} from '../model/types.js'
import {settingsOf, type SessionOptions, type SessionSettings} from '../services/session.js'

export interface SharedFlags {
  config: string
  var?: string[]
  'var-file'?: string[]
  state?: string
  /** Commands without --lock-timeout take no lock that could wait (show reads without one). */
  'lock-timeout'?: number
  /** --lock=false: take no state lock (commands without --lock always take it). */
  lock?: boolean
  netns?: string
  'docker-host'?: string
  backend?: string
}

/** The shared flags as session settings: the one place flags become settings. */
export function sessionSettings(flags: SharedFlags): SessionSettings {
  return settingsOf({
    config: flags.config,
    vars: flags.var ?? [],
    varFiles: flags['var-file'] ?? [],
    lockTimeoutMs: flags['lock-timeout'] ?? 0,
    ...(flags.lock === false ? {lock: false} : {}),
    ...(flags.state ? {state: flags.state} : {}),
    ...(flags.netns ? {netns: flags.netns} : {}),
    ...(flags['docker-host'] ? {dockerHost: flags['docker-host']} : {}),
    ...(flags.backend ? {backend: flags.backend as BackendSetting} : {}),
  })
}

export function sessionOptions(flags: SharedFlags, operation: string, warn: (m: string) => void): SessionOptions {
  return {...sessionSettings(flags), operation, warn}
}
