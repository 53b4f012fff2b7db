// Turns the shared flag groups into session options.
import type {BackendSetting} from '../model/types.js'
import type {SessionOptions} from '../services/session.js'

export interface SharedFlags {
  config: string
  var?: string[]
  'var-file'?: string[]
  state?: string
  'lock-timeout': number
  netns?: string
  'docker-host'?: string
  backend?: string
}

export function sessionOptions(flags: SharedFlags, operation: string, warn: (m: string) => void): SessionOptions {
  const opts: SessionOptions = {
    config: flags.config,
    vars: flags.var ?? [],
    varFiles: flags['var-file'] ?? [],
    lockTimeoutMs: flags['lock-timeout'],
    operation,
    warn,
  }
  if (flags.state) opts.state = flags.state
  if (flags.netns) opts.netns = flags.netns
  if (flags['docker-host']) opts.dockerHost = flags['docker-host']
  if (flags.backend) opts.backend = flags.backend as BackendSetting
  return opts
}
