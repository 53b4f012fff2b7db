import {Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {ExitCode} from '../src/cli/exit-codes.js'
import {
  configFlags,
  durationFlag as duration,
  hostFlags,
  lockoutFlags,
  planFlags,
  stateFlags,
} from '../src/cli/flags.js'
import {sessionSettings} from '../src/cli/session-flags.js'
import {resolveInterval, runWatch, type WatchOptions} from '../src/watch/index.js'

export default class Watch extends BaseCommand {
  static override summary = 'Keep the host converged: plan and apply whenever something changes.'
  static override description = `Runs as a daemon (or once, with --once) and reconciles without asking: it plans and applies automatically, never a plan with errors, never with a prompt. A reconciliation starts when:
- a configuration file changes (debounced 300 ms); an invalid configuration is logged with file:line:column and the last good one stays in force;
- Docker reports a container start, restart or die, or a network create, destroy, connect or disconnect that concerns the configuration (batched over 250 ms; a container start closes the batch after 50 ms, so a restarted container gets its in-namespace rules back at once);
- the drift check is due (--interval, default 30s, counted from the end of the last reconciliation; network-go's WATCH_PERIOD_SECONDS is read as seconds when --interval is not given; 0 disables it): rules flushed by a firewall reload are put back;
- the Docker daemon comes back after a restart (the event stream reconnects with backoff, then everything is reconciled);
- SIGHUP arrives.

Only one reconciliation runs at a time; whatever arrives meanwhile is folded into one follow-up. A failed reconciliation is retried with backoff (1s, 2s, ... up to the interval).

Each reconciliation logs ONE line on stdout, logfmt (key=value) by default or a JSON object with --log-format json: what triggered it, the result (unchanged, applied, failed), the counts (add, change, destroy, deferred, drift, failed), the addresses changed and how long it took. --status-file writes the time and result of the last reconciliation as JSON (atomically) for health checks.

The state lock is held during each reconciliation only, not for the life of the daemon: between reconciliations an operator can run \`dockwall plan\`, \`show\` or even \`apply\`, and watch reads the state again next time. When another dockwall holds the lock, watch waits for it (--lock-timeout, default 1m), then retries later. Holding it for ever would make every other dockwall command fail with "state locked" while the daemon runs.

SIGTERM or SIGINT stops cleanly: the reconciliation in progress finishes and saves the state, the lock is released, and watch exits 0. Nothing is torn down: the rules stay in place. A second signal exits at once.

Exit codes: 0 stopped by a signal, or --once succeeded; 1 --once failed, or an error at start (a bad flag value, a missing --netns).`

  static override examples = [
    {
      description: 'Run the daemon on the configuration in /etc/dockwall.',
      command: '<%= config.bin %> <%= command.id %> -c /etc/dockwall --state /var/lib/dockwall/dockwall.state.json',
    },
    {
      description: 'JSON logs and a status file for a health check.',
      command: '<%= config.bin %> <%= command.id %> --log-format json --status-file /run/dockwall/status.json',
    },
    {
      description: 'One reconciliation from cron or a test (exit 1 when it fails).',
      command: '<%= config.bin %> <%= command.id %> --once',
    },
    {
      description: 'Rehearse in a sandbox namespace with a fast drift check.',
      command:
        '<%= config.bin %> <%= command.id %> --netns /var/run/netns/rehearsal --docker-host unix:///tmp/sandbox/docker.sock --interval 5s',
    },
  ]

  static override flags = {
    ...configFlags,
    ...hostFlags,
    ...stateFlags,
    backend: planFlags.backend,
    'lock-timeout': duration('How long each reconciliation waits for a state lock held by another dockwall.', {
      default: 60_000,
      defaultHelp: '1m',
      description: 'After that the reconciliation fails and is retried with backoff.',
    }),
    interval: duration('Period of the drift check (like 30s or 5m; 0 disables it).', {
      env: 'DOCKWALL_WATCH_INTERVAL',
      description:
        'Measured from the end of the last reconciliation. Default 30s, or WATCH_PERIOD_SECONDS (seconds) when set.',
    }),
    'log-format': Flags.string({
      summary: 'Log lines as logfmt text or JSON objects.',
      options: ['text', 'json'],
      default: 'text',
      env: 'DOCKWALL_LOG_FORMAT',
    }),
    once: Flags.boolean({
      summary: 'Run one reconciliation and exit: 0 when it succeeded, 1 when it failed.',
      default: false,
    }),
    'status-file': Flags.string({
      summary: 'Write the time and result of the last reconciliation here, as JSON.',
      description: 'Rewritten atomically after every reconciliation; `healthy` is false while the last one failed.',
      env: 'DOCKWALL_STATUS_FILE',
      helpValue: 'FILE',
    }),
    ...lockoutFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Watch)
    const interval = resolveInterval(flags.interval, process.env)
    const opts: WatchOptions = {
      ...sessionSettings(flags),
      allowLockout: flags['allow-lockout'],
      ...(flags['ssh-client'] ? {sshClient: flags['ssh-client']} : {}),
      intervalMs: interval.ms,
      logFormat: flags['log-format'] as 'text' | 'json',
      once: flags.once,
      ...(flags['status-file'] ? {statusFile: flags['status-file']} : {}),
    }
    const code = await runWatch(opts, {
      write: (line) => void process.stdout.write(line),
      signals: process,
      env: process.env,
      exit: (c) => process.exit(c),
    })
    if (code !== ExitCode.Ok) this.exit(code)
  }
}
