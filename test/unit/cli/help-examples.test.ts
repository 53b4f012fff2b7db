// Help examples render one command per `$` line (issue 14, item 7). oclif shows an
// example `{description, command}` whose command holds a newline as ONE command continued
// with a backslash (`$ dockwall plan --out x.plan \` / `dockwall apply x.plan`), which a
// Terraform user would paste as one broken command. Every command's help, as oclif
// renders it from the built manifest (oclif.manifest.json, `npm run build`), is checked.
import {join} from 'node:path'

import {CommandHelp, Config} from '@oclif/core'
import {beforeAll, describe, expect, it} from 'vitest'

import {REPO_ROOT} from '../../helpers/cli.js'

/** The `$` commands of an EXAMPLES section, each with its backslash-continued lines joined. */
export function exampleCommands(help: string): string[][] {
  const section = /^EXAMPLES\n([\s\S]*?)(?=^\S|(?![\s\S]))/m.exec(help)?.[1] ?? ''
  const out: string[][] = []
  let current: string[] | undefined
  for (const raw of section.split('\n')) {
    const line = raw.trim()
    if (current) {
      current.push(line)
      if (!line.endsWith('\\')) current = undefined
      continue
    }
    if (line.startsWith('$ ')) {
      current = [line]
      out.push(current)
      if (!line.endsWith('\\')) current = undefined
    }
  }
  return out
}

/** A continued line that starts another command: two commands shown as one. */
export function glued(command: readonly string[], bin: string): boolean {
  return command.slice(1).some((l) => l === bin || l.startsWith(`${bin} `) || l.startsWith(`$ ${bin}`))
}

describe('exampleCommands and glued', () => {
  const help = [
    'USAGE',
    '  $ dockwall plan',
    '',
    'EXAMPLES',
    '  Save and apply later.',
    '',
    '    $ dockwall plan --out tonight.plan \\',
    '      dockwall apply tonight.plan',
    '',
    '  Rehearse.',
    '',
    '    $ dockwall plan --netns /var/run/netns/x --docker-host \\',
    '      unix:///tmp/docker.sock',
    '    $ dockwall apply',
    '',
    'EXIT CODES',
    '  $ not an example',
  ].join('\n')

  it('joins continued lines and stops at the next section', () => {
    expect(exampleCommands(help)).toEqual([
      ['$ dockwall plan --out tonight.plan \\', 'dockwall apply tonight.plan'],
      ['$ dockwall plan --netns /var/run/netns/x --docker-host \\', 'unix:///tmp/docker.sock'],
      ['$ dockwall apply'],
    ])
  })

  it('flags a second command on a continued line, not a long command wrapped', () => {
    const [a, b, c] = exampleCommands(help)
    expect([glued(a!, 'dockwall'), glued(b!, 'dockwall'), glued(c!, 'dockwall')]).toEqual([true, false, false])
  })
})

describe('every command help', () => {
  let config: Config

  beforeAll(async () => {
    config = await Config.load(join(REPO_ROOT, 'package.json'))
  })

  // Narrow and wide: oclif wraps a long command with a backslash too, which is fine as
  // long as no continued line is another command.
  it.each([60, 200])('shows each example command on its own $ line (%i columns)', async (maxWidth) => {
    const commands = config.commands.filter((c) => !c.hidden && c.pluginName === 'dockwall')
    expect(commands.map((c) => c.id)).toEqual(expect.arrayContaining(['plan', 'apply', 'import', 'state:mv']))
    const bad: string[] = []
    let shown = 0
    for (const c of commands) {
      const help = new CommandHelp(c, config, {maxWidth, stripAnsi: true}).generate()
      const examples = exampleCommands(help)
      shown += examples.length
      for (const e of examples) if (glued(e, config.bin)) bad.push(`${c.id}: ${e.join(' ⏎ ')}`)
    }
    expect(bad).toEqual([])
    // The saved-plan examples of plan and apply are two $ lines each.
    expect(shown).toBeGreaterThan(20)
  })

  it('shows the saved-plan workflow of plan and apply as two commands', async () => {
    for (const id of ['plan', 'apply']) {
      const help = new CommandHelp(config.findCommand(id)!, config, {maxWidth: 100, stripAnsi: true}).generate()
      const examples = exampleCommands(help).map((e) => e.join(' '))
      expect(examples).toEqual(
        expect.arrayContaining(['$ dockwall plan --out tonight.plan', '$ dockwall apply tonight.plan']),
      )
    }
  })
})
