// The iptables programs dockwall runs to read and write rules, named from a closed set: a
// family and a backend choose one, never text from a configuration or the host. Six modules
// composed these names with template strings of their own.
import type {Backend} from '../model/types.js'
import type {Family} from './types.js'

export type IptablesAction = 'save' | 'restore'
export type IptablesProgram = `${'iptables' | 'ip6tables'}-${Backend}-${IptablesAction}`

/** `iptables-nft-save`, `ip6tables-legacy-restore` and the like. */
export function iptablesProgram(family: Family, backend: Backend, action: IptablesAction): IptablesProgram {
  return `${family === 'ipv6' ? 'ip6tables' : 'iptables'}-${backend}-${action}`
}
