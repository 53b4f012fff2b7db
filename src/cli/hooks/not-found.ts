// A mistyped command gets the nearest one, as Terraform words it, and exit code 1
// (a usage error). oclif runs this hook only when no command matches.
import type {Hook} from '@oclif/core'

import {closest} from '../../config/suggest.js'
import {ExitCode} from '../exit-codes.js'

/** The message for an unknown command `id` (oclif's `state:lst`), given the known ids. */
export function notFoundMessage(id: string, commandIds: readonly string[], bin: string): string {
  const spoken = (c: string): string => c.replaceAll(':', ' ')
  // oclif joins the words after a command that takes no arguments into its id
  // (`plan extra` is `plan:extra`): that is an extra argument, not an unknown command.
  const parts = id.split(':')
  for (let n = parts.length - 1; n > 0; n--) {
    const command = parts.slice(0, n).join(':')
    if (commandIds.includes(command))
      return `Error: unexpected argument "${parts.slice(n).join(' ')}": ${bin} ${spoken(command)} takes none.\nSee ${bin} ${spoken(command)} --help.\n`
  }
  const near = closest(id, commandIds)
  const guess = near ? ` Did you mean "${spoken(near)}"?` : ''
  return `${bin} has no command named "${spoken(id)}".${guess}\n\nTo see all of ${bin}'s commands, run:\n  ${bin} --help\n`
}

const hook: Hook<'command_not_found'> = async function (opts) {
  process.stderr.write(notFoundMessage(opts.id, opts.config.commandIDs, opts.config.bin))
  process.exitCode = ExitCode.Error
}

export default hook
