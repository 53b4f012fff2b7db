import {BaseCommand} from '../src/cli/base-command.js'
import {versionInfo, type VersionInfo} from '../src/cli/version.js'

export default class Version extends BaseCommand {
  static override summary = 'Print the dockwall version.'
  static override description = `As terraform version: "dockwall vX.Y.Z" and the platform, or with --json an object with dockwall_version and platform (Terraform's keys, with dockwall's name). dockwall -version and dockwall --version are the same command.`

  static override examples = [
    {description: 'The version.', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'For scripts.', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static override enableJsonFlag = true

  async run(): Promise<VersionInfo> {
    await this.parse(Version)
    const info = versionInfo()
    this.log(`dockwall v${info.dockwall_version}\non ${info.platform}`)
    return info
  }
}
