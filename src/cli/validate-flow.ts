// How `dockwall validate` reports: every diagnostic (warnings on stderr, errors through
// ConfigError and exit 1), then one line counting what the configuration declares; with
// --json, `terraform validate -json`'s object on stdout, whatever the outcome.
import {loadConfig} from '../config/index.js'
import {AbortError, ConfigError, formatDiagnostic, type Diagnostic} from '../errors.js'
import type {DesiredModel} from '../model/types.js'
import {sourceFromDisk, validateToJson, type ValidateJson} from '../ui/diagnostics-json.js'

export interface ValidateFlags {
  config: string
  var?: string[]
  'var-file'?: string[]
  json?: boolean
}

export interface ValidateIO {
  log: (line: string) => void
  logToStderr: (line: string) => void
}

/**
 * `validate --json`: the diagnostics as Terraform's JSON, errors included (a problem that
 * is not the configuration's, such as a missing directory, becomes one error without a
 * range). The caller prints it and exits 1 when it is not valid.
 */
export async function runValidateJson(flags: ValidateFlags): Promise<ValidateJson> {
  let diagnostics: Diagnostic[]
  try {
    const result = await loadConfig({path: flags.config, vars: flags.var ?? [], varFiles: flags['var-file'] ?? []})
    diagnostics = result.diagnostics
  } catch (error) {
    if (error instanceof ConfigError) diagnostics = error.diagnostics
    else if (error instanceof AbortError)
      diagnostics = [{severity: 'error', summary: error.message, ...(error.hint ? {detail: error.hint} : {})}]
    else throw error
  }
  return validateToJson(diagnostics, sourceFromDisk())
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
