import {Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {sessionFlags} from '../src/cli/flags.js'
import {runGraph} from '../src/cli/graph-flow.js'

export default class Graph extends BaseCommand {
  static override summary = "Print the plan's dependency graph (DOT or Mermaid)."
  static override description = `Plans like \`dockwall plan\` and prints the changes as a graph: one node per resource (coloured by action), edges in execution order (creates after what they depend on, deletes before). Render DOT with Graphviz.`

  static override examples = [
    {description: 'An SVG of the plan.', command: '<%= config.bin %> <%= command.id %> | dot -Tsvg > plan.svg'},
    {description: 'Mermaid, for a Markdown page.', command: '<%= config.bin %> <%= command.id %> --format mermaid'},
  ]

  static override flags = {
    ...sessionFlags,
    format: Flags.string({summary: 'Output format.', options: ['dot', 'mermaid'], default: 'dot'}),
    destroy: Flags.boolean({summary: 'Graph the destroy plan.', default: false}),
    'changes-only': Flags.boolean({summary: 'Leave out resources with no change.', default: false}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Graph)
    await runGraph(flags, {warn: (m) => this.warn(m)})
  }
}
