import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {stateFlags} from '../src/cli/flags.js'
import {terminal} from '../src/cli/io.js'
import {describeHolder} from '../src/state/lock.js'
import type {LockInfo} from '../src/state/lock.js'
import {resolveStatePath} from '../src/state/paths.js'
import {unlockState} from '../src/state/service.js'
import {askYes} from '../src/ui/index.js'

export default class ForceUnlock extends BaseCommand {
  static override summary = 'Remove a state lock left behind by a dockwall that is gone.'
  static override description = `Only for a lock whose holder no longer runs: a crashed dockwall on another host sharing the state, or one killed so hard it could not clean up. (A holder on this host that no longer exists is taken over automatically.) LOCK_ID is the id from the "state locked by" message; the lock is removed only if it still has that id.

The holder is checked first: on this host, a lock whose process is gone (its pid no longer runs, or now belongs to a process started later) is removed at once; one whose process still runs, or one held from another host, where dockwall cannot check, is removed only after a typed "yes" on a terminal, or with --force. Removing the lock of a dockwall that is still running lets two runs change the host and the state at once.`

  static override examples = [
    {
      description: 'Remove the lock the error message named.',
      command: '<%= config.bin %> <%= command.id %> 6c1f2a54-0b1e-4d8e-9a57-3f0e2b9c7d11',
    },
    {
      description: 'For a state file elsewhere.',
      command:
        '<%= config.bin %> <%= command.id %> 6c1f2a54-0b1e-4d8e-9a57-3f0e2b9c7d11 --state /var/lib/dockwall/state.json',
    },
  ]

  static override args = {
    lock_id: Args.string({
      description: 'The lock id from the "state locked by" message.',
      required: true,
      ignoreStdin: true,
    }),
  }

  static override enableJsonFlag = true
  static override flags = {
    ...stateFlags,
    force: Flags.boolean({
      summary:
        'Remove the lock even if its holder may still run (this host: its pid is alive; another host: it cannot be checked).',
      default: false,
    }),
  }

  async run(): Promise<{unlocked: LockInfo}> {
    const {args, flags} = await this.parse(ForceUnlock)
    const term = terminal(false)
    const info = await unlockState({
      statePath: resolveStatePath(flags.state),
      lockId: args.lock_id,
      force: flags.force,
      // Asked only on a terminal (and never for --json); elsewhere a live or unknown holder needs --force.
      ...(term.interactive && !flags.json
        ? {
            confirm: (holder: LockInfo, status: 'running' | 'unknown') =>
              askYes(
                [
                  status === 'running'
                    ? `The lock's holder, ${describeHolder(holder)}, is still running.`
                    : `The lock is held from host ${holder.hostname}; dockwall cannot check whether pid ${holder.pid} still runs.`,
                  '  Removing its lock lets two dockwalls change the host and the state at once.',
                  "  Remove it anyway? Only 'yes' will be accepted.",
                ],
                {stdin: process.stdin, stdout: process.stdout, color: term.color},
              ),
          }
        : {}),
    })
    this.log(`Unlocked the state: removed the lock of ${describeHolder(info)}.`)
    return {unlocked: info}
  }
}
