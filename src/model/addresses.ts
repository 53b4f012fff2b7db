// Resource addresses as the state and the plan spell them, read back into their parts:
// which type an address names, and whether it is one dockwall could have written (so a
// `state mv` destination is a real address: its labels end up in `dockwall:<address>`
// iptables comments, where a quote or a space would break a restore file).
import {labelError} from './names.js'
import type {ResourceType} from './resources.js'

const LABEL = '[A-Za-z_][A-Za-z0-9_-]*'
// A route's key is its destination, an IPv4 or IPv6 CIDR (checked in full by the config loader).
const DESTINATION = '[0-9A-Fa-f.:]+/[0-9]{1,3}'

const SHAPES: ReadonlyArray<[RegExp, ResourceType]> = [
  [new RegExp(`^network\\.(${LABEL})$`), 'network'],
  [new RegExp(`^container\\.(${LABEL})\\.network\\.(${LABEL})$`), 'attachment'],
  [new RegExp(`^container\\.(${LABEL})\\.route\\["${DESTINATION}"\\]$`), 'route'],
  [new RegExp(`^rule\\.(${LABEL})$`), 'rule'],
  [new RegExp(`^port_forward\\.(${LABEL})$`), 'port_forward'],
  [new RegExp(`^masquerade\\.(${LABEL})$`), 'masquerade'],
]

export type ParsedAddress = {ok: true; type: ResourceType} | {ok: false; error: string}

/**
 * The type a resource address names, or why it is not one a configuration can declare.
 * `firewall` and `chain[...]` are dockwall's own (one each, named by what they are), so
 * they are not addresses a resource can be given.
 */
export function parseResourceAddress(address: string): ParsedAddress {
  if (address === 'firewall' || address.startsWith('chain['))
    return {ok: false, error: `${address} is dockwall's own and has no other address`}
  for (const [re, type] of SHAPES) {
    const m = re.exec(address)
    if (!m) continue
    for (const label of m.slice(1)) {
      const bad = label === undefined ? undefined : labelError(label)
      if (bad) return {ok: false, error: `${address}: ${bad}`}
    }
    return {ok: true, type}
  }
  return {
    ok: false,
    error: `"${address}" is not a resource address (network.NAME, container.NAME.network.NAME, container.NAME.route["CIDR"], rule.NAME, port_forward.NAME or masquerade.NAME)`,
  }
}
