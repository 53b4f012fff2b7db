// Flag groups shared by several commands, so every command spells them the same way.
import {Flags} from '@oclif/core'

export const configFlags = {
  config: Flags.string({
    char: 'c',
    summary: 'Configuration directory or file.',
    description: 'A directory loads every *.hcl and *.hcl.json file in it (not recursive); a file loads just that file.',
    default: '.',
    helpValue: 'DIR|FILE',
  }),
  var: Flags.string({
    summary: 'Set a variable (repeatable).',
    description: 'Overrides the variable\'s default, DOCKWALL_VAR_<name> and --var-file.',
    multiple: true,
    helpValue: 'NAME=VALUE',
  }),
  'var-file': Flags.string({
    summary: 'Read variables from a JSON or HCL file of NAME = VALUE pairs (repeatable).',
    multiple: true,
    helpValue: 'FILE',
  }),
}

export const hostFlags = {
  netns: Flags.string({
    summary: 'Treat this network namespace as the host (for example /var/run/netns/rehearsal).',
    description: 'Every iptables command for the "host" runs inside this namespace. Use it to rehearse safely in a sandbox.',
    env: 'DOCKWALL_NETNS',
    helpValue: 'PATH',
  }),
  'docker-host': Flags.string({
    summary: 'Docker Engine address (unix:///path/docker.sock or tcp://host:port).',
    env: 'DOCKER_HOST',
    helpValue: 'URL',
  }),
}
