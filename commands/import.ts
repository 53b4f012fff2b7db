import {readFile} from 'node:fs/promises'

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {ExitCode} from '../src/cli/exit-codes.js'
import {configFlags, hostFlags, lockFlags, stateFlags} from '../src/cli/flags.js'
import {sessionOptions} from '../src/cli/session-flags.js'
import {AbortError} from '../src/errors.js'
import {connectDocker} from '../src/docker/client.js'
import {convertNetworkGo, generateFromHost, importOne} from '../src/services/import.js'
import {hostTarget, openSession} from '../src/services/session.js'
import type {BackendSetting} from '../src/model/types.js'

export default class Import extends BaseCommand {
  static override summary = 'Adopt networks, attachments and firewall rules that already exist.'
  static override description = `Three ways in:

1. dockwall import ADDRESS ID — adopt one existing object into the state under an address
   the configuration declares. Networks and attachments are then managed as they are; a
   rule found in a foreign chain (DOCKER-USER, FORWARD, INPUT, nat PREROUTING/POSTROUTING,
   or inside a container) is moved into dockwall's chain by the next plan and apply, in one
   transaction. IDs:
     network            its Docker name or id
     attachment         CONTAINER/NETWORK
     rule, port_forward, masquerade
                        [container.LABEL/][filter:|nat:]CHAIN:RULE-TEXT  or  ...CHAIN:#POSITION
   The same can be written in the configuration as import { to = ADDRESS, id = "..." }, so it
   is reviewed in a plan like any other change.

2. dockwall import --all --generate-config-out FILE — scan the host: non-default Docker
   networks, containers' static addresses, and rules others wrote in DOCKER-USER, FORWARD,
   INPUT and nat PREROUTING/POSTROUTING (host and running containers). Writes a
   configuration with references and import blocks, and lists every rule it left in place
   with the reason. Never overwrites a file.

3. dockwall import --from-networks-json FILE --generate-config-out FILE — convert a
   network-go networks.json, explaining each policy.

Exit code 2 when the import is partial (rules left in place, policies not converted).`

  static override examples = [
    {
      description: 'Adopt a network created by hand.',
      command: '<%= config.bin %> <%= command.id %> network.frontend smarthost-frontend',
    },
    {
      description: 'Adopt the third rule of DOCKER-USER as rule.web_http.',
      command: "<%= config.bin %> <%= command.id %> rule.web_http 'DOCKER-USER:#3'",
    },
    {
      description: 'Describe the whole host as configuration.',
      command: '<%= config.bin %> <%= command.id %> --all --generate-config-out imported.hcl',
    },
    {
      description: 'Migrate from network-go.',
      command:
        '<%= config.bin %> <%= command.id %> --from-networks-json /etc/user/config/networks.json --generate-config-out main.hcl --map publicbackend=smarthostbackend-1',
    },
  ]

  static override args = {
    address: Args.string({description: 'Resource address declared in the configuration.', required: false}),
    id: Args.string({description: 'What to adopt (see the ID forms above).', required: false}),
  }

  static override flags = {
    ...configFlags,
    ...hostFlags,
    ...stateFlags,
    ...lockFlags,
    all: Flags.boolean({
      summary: 'Scan the host and generate configuration for everything found.',
      default: false,
      dependsOn: ['generate-config-out'],
    }),
    'from-networks-json': Flags.string({
      summary: 'Convert a network-go networks.json.',
      helpValue: 'FILE',
      dependsOn: ['generate-config-out'],
      exclusive: ['all'],
    }),
    'generate-config-out': Flags.string({
      summary: 'Write the generated configuration here (never overwritten).',
      helpValue: 'FILE',
    }),
    map: Flags.string({
      summary: 'With --from-networks-json: resolve a name network-go cannot (repeatable).',
      helpValue: 'NAME=CONTAINER',
      multiple: true,
    }),
    backend: Flags.string({summary: 'iptables backend: auto, nft or legacy.', options: ['auto', 'nft', 'legacy']}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Import)
    if (flags['from-networks-json']) {
      const names = Object.fromEntries(
        (flags.map ?? []).map((m) => {
          const i = m.indexOf('=')
          if (i <= 0) throw new AbortError(`--map ${m}: expected NAME=CONTAINER`)
          return [m.slice(0, i), m.slice(i + 1)]
        }),
      )
      const file = flags['from-networks-json']
      const r = await convertNetworkGo(
        await readFile(file, 'utf8'),
        file,
        flags['generate-config-out'] as string,
        names,
      )
      for (const e of r.explanations) this.log(e)
      for (const p of r.problems)
        this.logToStderr(
          `not converted: ${p.path}${p.line ? ` (${file}:${p.line}${p.column ? `:${p.column}` : ''})` : ''}: ${p.reason}`,
        )
      this.log(`\nWrote ${flags['generate-config-out']}. Review it, then run \`dockwall plan\`.`)
      if (r.problems.length > 0) this.exit(ExitCode.Changes)
      return
    }
    if (flags.all) {
      const out = flags['generate-config-out'] as string
      const r = await generateFromHost({
        docker: await connectDocker(flags['docker-host']),
        host: await hostTarget(flags.netns),
        backend: (flags.backend ?? 'auto') as BackendSetting,
        out,
        command: ['dockwall', 'import', ...this.argv].join(' '),
      })
      this.log(`Wrote ${out}: ${r.imports.length} import block${r.imports.length === 1 ? '' : 's'}.`)
      for (const w of r.warnings) this.logToStderr(`warning: ${w}`)
      for (const u of r.unsupported)
        this.logToStderr(`left in place: ${u.namespace} ${u.table}: ${u.line}\n  ${u.reason}`)
      this.log(`Review it, then run \`dockwall plan\` in its directory: the plan shows each import.`)
      if (r.unsupported.length > 0) {
        this.logToStderr(
          `\n${r.unsupported.length} rule${r.unsupported.length === 1 ? '' : 's'} could not be imported (listed above): the import is partial.`,
        )
        this.exit(ExitCode.Changes)
      }
      return
    }
    if (!args.address || !args.id)
      throw new AbortError('give ADDRESS and ID, or --all, or --from-networks-json', 'see `dockwall import --help`')
    const session = await openSession(
      sessionOptions({...flags, 'lock-timeout': flags['lock-timeout']}, 'import', (m) => this.warn(m)),
    )
    try {
      const r = await importOne(session, args.address, args.id)
      this.log(`Import successful: ${r.address} ${r.description}.`)
      this.log(
        r.moves
          ? 'Run `dockwall plan` to review the move, then `dockwall apply`.'
          : 'It is now managed by dockwall; `dockwall plan` shows whether it matches the configuration.',
      )
    } finally {
      await session.close()
    }
  }
}
