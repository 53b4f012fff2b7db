// How `dockwall validate` reports: every diagnostic (warnings on stderr, errors through
// ConfigError and exit 1), then one line counting what the configuration declares.
import {loadConfig} from '../config/index.js'
import {ConfigError, formatDiagnostic} from '../errors.js'
import type {DesiredModel} from '../model/types.js'

export interface ValidateFlags {
  config: string
  var?: string[]
  'var-file'?: string[]
}

export interface ValidateIO {
  log: (line: string) => void
  logToStderr: (line: string) => void
}

export async function runValidate(flags: ValidateFlags, io: ValidateIO): Promise<void> {
  const result = await loadConfig({path: flags.config, vars: flags.var ?? [], varFiles: flags['var-file'] ?? []})
  if (!result.model) throw new ConfigError(result.diagnostics)
  for (const d of result.diagnostics) io.logToStderr(formatDiagnostic(d, {snippet: true}))
  io.log(`Success! The configuration is valid: ${counts(result.model)}.`)
}

function counts(m: DesiredModel): string {
  const n = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`
  return [
    n(m.files.length, 'file'),
    n(m.networks.length, 'network'),
    n(m.containers.length, 'container'),
    n(m.rules.length, 'rule'),
    n(m.portForwards.length, 'port forward'),
    n(m.masquerades.length, 'masquerade'),
  ].join(', ')
}
