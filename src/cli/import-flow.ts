// How `dockwall import` reports its three ways in (one object, a scan of the host, a
// network-go conversion): what it wrote, what it left in place and why, and exit code
// 2 when the import is partial. The work is src/services/import.ts.
import {readFile} from 'node:fs/promises'

import {AbortError} from '../errors.js'
import {convertNetworkGo, generateFromHost, importOne} from '../services/import.js'
import {openSession} from '../services/session.js'
import {ExitCode} from './exit-codes.js'
import {sessionOptions, sessionSettings, type SharedFlags} from './session-flags.js'

export interface ImportFlags extends SharedFlags {
  all?: boolean
  'from-networks-json'?: string
  'generate-config-out'?: string
  map?: string[]
}

export interface ImportFlowIO {
  log: (line: string) => void
  logToStderr: (line: string) => void
  warn: (line: string) => void
  /** The command line as typed, for the generated file's header. */
  argv: readonly string[]
}

/** `--map NAME=CONTAINER` pairs. */
function nameMap(map: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    map.map((m) => {
      const i = m.indexOf('=')
      if (i <= 0) throw new AbortError(`--map ${m}: expected NAME=CONTAINER`)
      return [m.slice(0, i), m.slice(i + 1)]
    }),
  )
}

async function fromNetworksJson(flags: ImportFlags, file: string, io: ImportFlowIO): Promise<number> {
  const names = nameMap(flags.map ?? [])
  const out = flags['generate-config-out'] as string
  const r = await convertNetworkGo(await readFile(file, 'utf8'), file, out, names)
  for (const e of r.explanations) io.log(e)
  for (const p of r.problems)
    io.logToStderr(
      `not converted: ${p.path}${p.line ? ` (${file}:${p.line}${p.column ? `:${p.column}` : ''})` : ''}: ${p.reason}`,
    )
  io.log(`\nWrote ${out}. Review it, then run \`dockwall plan\`.`)
  return r.problems.length > 0 ? ExitCode.Changes : ExitCode.Ok
}

async function scanHost(flags: ImportFlags, io: ImportFlowIO): Promise<number> {
  const out = flags['generate-config-out'] as string
  const r = await generateFromHost({
    settings: sessionSettings(flags),
    out,
    command: ['dockwall', 'import', ...io.argv].join(' '),
  })
  io.log(`Wrote ${out}: ${r.imports.length} import block${r.imports.length === 1 ? '' : 's'}.`)
  for (const w of r.warnings) io.logToStderr(`warning: ${w}`)
  for (const u of r.unsupported) io.logToStderr(`left in place: ${u.namespace} ${u.table}: ${u.line}\n  ${u.reason}`)
  io.log(`Review it, then run \`dockwall plan\` in its directory: the plan shows each import.`)
  if (r.unsupported.length === 0) return ExitCode.Ok
  io.logToStderr(
    `\n${r.unsupported.length} rule${r.unsupported.length === 1 ? '' : 's'} could not be imported (listed above): the import is partial.`,
  )
  return ExitCode.Changes
}

/** Returns the exit code: 2 when the import is partial. */
export async function runImport(
  flags: ImportFlags,
  args: {address?: string; id?: string},
  io: ImportFlowIO,
): Promise<number> {
  const networksJson = flags['from-networks-json']
  if (networksJson) return fromNetworksJson(flags, networksJson, io)
  if (flags.all) return scanHost(flags, io)
  if (!args.address || !args.id)
    throw new AbortError('give ADDRESS and ID, or --all, or --from-networks-json', 'see `dockwall import --help`')
  const session = await openSession(sessionOptions(flags, 'import', io.warn))
  try {
    const r = await importOne(session, args.address, args.id)
    io.log(`Import successful: ${r.address} ${r.description}.`)
    io.log(
      r.moves
        ? 'Run `dockwall plan` to review the move, then `dockwall apply`.'
        : 'It is now managed by dockwall; `dockwall plan` shows whether it matches the configuration.',
    )
    return ExitCode.Ok
  } finally {
    await session.close()
  }
}
