// `dockwall version`, shaped as `terraform version -json` prints it.
import {DOCKWALL_VERSION} from '../version.js'

export interface VersionInfo {
  dockwall_version: string
  /** Go's GOOS_GOARCH, as Terraform names it: linux_amd64, linux_arm64. */
  platform: string
  node_version: string
}

/** Node's architecture names in Go's spelling, which Terraform prints. */
const GO_ARCH: Readonly<Record<string, string>> = {x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64'}

export function versionInfo(): VersionInfo {
  return {
    dockwall_version: DOCKWALL_VERSION,
    platform: `${process.platform}_${GO_ARCH[process.arch] ?? process.arch}`,
    node_version: process.version,
  }
}
