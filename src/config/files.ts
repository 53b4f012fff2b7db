// Which files make up the configuration: every *.hcl and *.hcl.json file of a directory
// (not recursive, sorted by name so merge order and messages are stable), or one file.
import {readdir, stat} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import type {Diagnostic} from '../errors.js'

export interface ConfigFile {
  /** Path as shown in messages: the --config path joined with the file name. */
  file: string
  format: 'hcl' | 'json'
}

export function formatOf(name: string): 'hcl' | 'json' | undefined {
  if (name.endsWith('.hcl.json')) return 'json'
  if (name.endsWith('.hcl')) return 'hcl'
  return undefined
}

export async function discoverFiles(
  path: string,
): Promise<{files: ConfigFile[]; configDir: string} | {diagnostic: Diagnostic}> {
  let isDir: boolean
  try {
    isDir = (await stat(path)).isDirectory()
  } catch {
    return {
      diagnostic: {
        severity: 'error',
        code: 'config-not-found',
        summary: `configuration not found: ${path} does not exist`,
      },
    }
  }
  if (!isDir) {
    const format = formatOf(path)
    if (!format)
      return {diagnostic: {severity: 'error', summary: `${path}: a configuration file must end in .hcl or .hcl.json`}}
    return {files: [{file: path, format}], configDir: dirname(path)}
  }
  const entries = await readdir(path, {withFileTypes: true})
  const files = entries
    // Dotfiles are editor backups and lock files (.#main.hcl), not configuration.
    .filter((e) => !e.isDirectory() && !e.name.startsWith('.') && formatOf(e.name) !== undefined)
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => ({file: join(path, name), format: formatOf(name)!}))
  if (files.length === 0)
    return {
      diagnostic: {severity: 'error', code: 'config-not-found', summary: `no *.hcl or *.hcl.json files in ${path}`},
    }
  return {files, configDir: path}
}
