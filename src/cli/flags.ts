// Flag groups shared by several commands, so every command spells them the same way.
import {Errors, Flags} from '@oclif/core'

import {DEFAULT_DOCKER_HOST} from '../docker/client.js'
import {parseDuration} from '../state/duration.js'
import {DEFAULT_STATE_FILE} from '../state/paths.js'

export const configFlags = {
  config: Flags.string({
    char: 'c',
    summary: 'Configuration directory or file.',
    description:
      'A directory loads every *.hcl and *.hcl.json file in it (not recursive); a file loads just that file.',
    default: '.',
    helpValue: 'DIR|FILE',
  }),
  var: Flags.string({
    summary: 'Set a variable (repeatable).',
    description: "Overrides the variable's default, DOCKWALL_VAR_<name> and --var-file.",
    multiple: true,
    // One value per flag: a greedy multiple flag takes the arguments after it (`apply --target=X PLANFILE`, `import -var a=b ADDRESS ID`).
    multipleNonGreedy: true,
    helpValue: 'NAME=VALUE',
  }),
  'var-file': Flags.string({
    summary: 'Read variables from a JSON or HCL file of NAME = VALUE pairs (repeatable).',
    multiple: true,
    multipleNonGreedy: true,
    helpValue: 'FILE',
  }),
}

export const hostFlags = {
  netns: Flags.string({
    summary: 'Treat this network namespace as the host (for example /var/run/netns/rehearsal).',
    description:
      'Every iptables command for the "host" runs inside this namespace. Use it to rehearse safely in a sandbox. Default: the namespace dockwall runs in, the host itself.',
    env: 'DOCKWALL_NETNS',
    helpValue: 'PATH',
  }),
  'docker-host': Flags.string({
    summary: 'Docker Engine address (unix:///path/docker.sock or tcp://host:port).',
    env: 'DOCKER_HOST',
    default: DEFAULT_DOCKER_HOST,
    helpValue: 'URL',
  }),
}

// The state file and its lock (src/state). No oclif default for --state: plan and
// apply fall back to the configuration's `dockwall { state = ... }` before the
// built-in default, through resolveStatePath(flags.state, settings.statePath).
export const stateFlags = {
  state: Flags.string({
    summary: `State file (default: the configuration's "state" setting, else ${DEFAULT_STATE_FILE} beside the configuration; for the state commands, in the current directory).`,
    description:
      'Overrides the state setting in the configuration. The lock is <PATH>.lock and the backup <PATH>.backup.',
    env: 'DOCKWALL_STATE',
    helpValue: 'PATH',
  }),
}

/** A duration flag (`30s`, `5m`) in milliseconds; a bad value is a usage error (exit code 1) like any other bad flag. */
export const durationFlag = (
  summary: string,
  extra: {default?: number; defaultHelp?: string; env?: string; description?: string} = {},
) =>
  Flags.custom<number>({
    summary,
    helpValue: 'DURATION',
    ...(extra.description ? {description: extra.description} : {}),
    ...(extra.env ? {env: extra.env} : {}),
    ...(extra.default !== undefined
      ? {default: extra.default, defaultHelp: async () => extra.defaultHelp ?? `${extra.default}`}
      : {}),
    parse: async (input) => {
      try {
        return parseDuration(input)
      } catch (error) {
        throw new Errors.CLIError((error as Error).message)
      }
    },
  })()

/** The state lock: --lock-timeout, and --lock=false (Terraform's -lock=false) for the commands that take it. */
export const lockFlags = {
  lock: Flags.boolean({
    summary: 'Hold the state lock while working; --lock=false takes none, as terraform -lock=false does.',
    description:
      'The default is to hold it (--lock). Without the lock, another dockwall working on the same state at the same time is not detected, and a warning says so: use --lock=false only when no other can run. apply and destroy refuse it together with the confirm window (--confirm-within, on by default over SSH), whose rollback timer holds the lock: add --confirm-within off.',
    default: true,
    allowNo: true,
  }),
  'lock-timeout': Flags.custom<number>({
    summary: 'How long to wait for the state lock held by another dockwall (like 30s or 5m).',
    description: 'The default, 0s as in Terraform, fails at once and names the holder.',
    default: 0,
    defaultHelp: async () => '0s',
    helpValue: 'DURATION',
    // A CLIError, so a bad value is a usage error (exit code 1) like any other bad flag.
    parse: async (input) => {
      try {
        return parseDuration(input)
      } catch (error) {
        throw new Errors.CLIError((error as Error).message)
      }
    },
  })(),
}

/**
 * --backend's help. No oclif default: it would override the configuration's own
 * `backend` setting, so the summary (shown in the flag list) says what applies.
 */
export const BACKEND_HELP = {
  summary:
    "iptables backend: auto (the one Docker and existing rules use), nft or legacy. Default: the configuration's `backend` setting, else auto.",
  description: 'Overrides `backend` in the dockwall block.',
}

// Flags for commands that plan (plan, apply, destroy, graph).
export const planFlags = {
  target: Flags.string({
    summary: 'Limit the plan to this resource and what it depends on (repeatable).',
    description:
      'An address such as rule.web_http, network.frontend or container.lb (which covers its attachments and routes). By default the plan covers everything the configuration declares.',
    multiple: true,
    multipleNonGreedy: true,
    helpValue: 'ADDRESS',
  }),
  backend: Flags.string({
    ...BACKEND_HELP,
    options: ['auto', 'nft', 'legacy'],
  }),
}

/** Terraform's -replace: plan and apply (not destroy, graph or watch, as in Terraform). */
export const replaceFlag = {
  replace: Flags.string({
    summary: 'Replace this network or attachment even though nothing forces it (repeatable).',
    description:
      'A network is deleted and created again, its containers disconnected and reconnected; an attachment is disconnected and connected again (Docker re-assigns what the configuration leaves unset). Only objects the state manages are replaced. Like terraform apply -replace=ADDRESS; the plan marks them "will be replaced, as requested".',
    multiple: true,
    multipleNonGreedy: true,
    helpValue: 'ADDRESS',
  }),
}

/** Terraform's -input: apply, destroy and plan ask nothing with --input=false (or --no-input). */
export const inputFlag = {
  input: Flags.boolean({
    summary: 'Ask for input; --input=false never asks (apply then needs --auto-approve or a saved plan).',
    description:
      'The default is to ask (--input). For plan, --input=false also means plain text rather than the interactive view.',
    default: true,
    allowNo: true,
  }),
}

export const outputFlags = {
  json: Flags.boolean({summary: 'Print machine-readable JSON (see docs/PLAN-JSON.md).', default: false}),
  'no-tty': Flags.boolean({summary: 'Plain text output even on a terminal (no interactive view).', default: false}),
  verbose: Flags.boolean({
    summary: 'Print every change of the text plan.',
    description:
      'By default, when more than 10 changes of one kind look alike (same action, same attributes set), the text plan shows the first 3 and one line for the rest.',
    default: false,
  }),
}

/** Everything a command that opens a session and plans needs (plan, apply, destroy, graph, watch). */
export const sessionFlags = {
  ...configFlags,
  ...hostFlags,
  ...stateFlags,
  ...lockFlags,
  ...planFlags,
}

/** The SSH lockout guard's flags (apply, destroy, watch). */
export const lockoutFlags = {
  'allow-lockout': Flags.boolean({
    summary: 'Apply even if the plan would cut your SSH session (the guard then only warns).',
    description:
      'The guard evaluates your SSH connection (SSH_CONNECTION, or --ssh-client) through the rules as the plan would leave them, in the namespace that plays the host (--netns included), and refuses a plan that would drop it or send it elsewhere. Use this only with another way into the host, such as a console.',
    default: false,
  }),
  'ssh-client': Flags.string({
    summary:
      'The address your SSH session comes from, when SSH_CONNECTION is not set (under a daemon, or a sudo that dropped it).',
    description:
      'ADDR[:PORT]: the client address and the SSH server port it connects to (22 when left out); IPv6 with a port in brackets, [2001:db8::5]:22. By default SSH_CONNECTION is used, else the SSH_CONNECTION of the process that started dockwall (the shell that ran sudo). SSH_CONNECTION set to an empty value means: no SSH session.',
    helpValue: 'ADDR[:PORT]',
  }),
}

/** apply --confirm-within (and destroy). */
export const confirmFlags = {
  'confirm-within': Flags.string({
    summary: 'Roll the changes back unless confirmed within DURATION (2m, 90s); "off" to never.',
    description:
      'After applying, dockwall waits for a confirmation: y on this terminal, or `dockwall confirm` from a new SSH session (proof that new connections still work). Without one in time, a detached timer process restores exactly the previous dockwall chains and jumps (one iptables-restore per table) and the previous state, and apply exits 1 saying so; the timer does this even if the apply is killed or the SSH session drops. Networks and attachments are not rolled back. On by default (2m) when an SSH session is known (SSH_CONNECTION, --ssh-client) and the plan changes the input path.',
    helpValue: 'DURATION|off',
  }),
}

// apply and destroy.
export const applyFlags = {
  ...sessionFlags,
  ...outputFlags,
  ...inputFlag,
  parallelism: Flags.integer({
    summary: 'How many Docker operations (network and attachment changes) run at once.',
    description: 'iptables changes are one transaction per namespace and table whatever this says.',
    default: 4,
    min: 1,
  }),
  'auto-approve': Flags.boolean({
    summary: 'Apply without asking for confirmation (required without a terminal).',
    default: false,
  }),
  ...lockoutFlags,
  ...confirmFlags,
}
