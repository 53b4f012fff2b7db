// Name rules for everything a user names and dockwall later writes somewhere else:
// block labels (they end up in `dockwall:<address>` iptables comments), Docker
// container and network names, and interface names (they end up in iptables-restore
// input). The config loader checks them with a position; the netfilter writer should
// call them again before anything reaches iptables, so a model built by other means
// cannot smuggle in a name that breaks a restore file.
//
// Each check returns undefined when the name is fine, otherwise a sentence saying why.

/** Longest block label: keeps `dockwall:<type>.<label>.<type>.<label>…` well under iptables' 255-character comment limit. */
export const LABEL_MAX_LENGTH = 64

/** Linux IFNAMSIZ is 16 bytes including the terminating NUL. */
export const INTERFACE_NAME_MAX_LENGTH = 15

const LABEL_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/
// Docker's own rule (daemon/names: validContainerNamePattern), also used for networks.
const DOCKER_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/
// Linux accepts almost any byte in an interface name; iptables-restore input does not
// (quotes, `#`, `!` and spaces change how a line is read). Real names (eth0, wg0,
// br-1a2b3c, enp0s31f6, eth0.100) need only these characters.
const INTERFACE_RE = /^[A-Za-z0-9_.@-]+$/

/** A block label (`rule "web_http"`): identifier characters only, at most 64. */
export function labelError(label: string): string | undefined {
  if (label.length === 0) return 'a label cannot be empty'
  if (label.length > LABEL_MAX_LENGTH)
    return `a label can have at most ${LABEL_MAX_LENGTH} characters (this one has ${label.length})`
  if (!LABEL_RE.test(label)) {
    return 'a label must start with a letter or "_" and contain only letters, digits, "_" and "-"'
  }
  return undefined
}

/** A Docker container or network name. Docker requires at least two characters for containers. */
export function dockerNameError(name: string, kind: 'container' | 'network'): string | undefined {
  if (name.length === 0) return `a ${kind} name cannot be empty`
  if (!DOCKER_NAME_RE.test(name)) {
    return `a Docker ${kind} name must start with a letter or digit and contain only letters, digits, "_", "." and "-"`
  }
  if (kind === 'container' && name.length < 2) return 'a Docker container name needs at least two characters'
  return undefined
}

/**
 * A network interface name as iptables takes it (`-i wg0`). With `wildcard`, a trailing
 * `+` matches every interface with that prefix (`veth+`), as in iptables.
 */
export function interfaceNameError(name: string, opts: {wildcard?: boolean} = {}): string | undefined {
  let base = name
  if (opts.wildcard && name.endsWith('+')) base = name.slice(0, -1)
  if (name.length === 0) return 'an interface name cannot be empty'
  if (name.length > INTERFACE_NAME_MAX_LENGTH) {
    return `an interface name can have at most ${INTERFACE_NAME_MAX_LENGTH} characters (Linux IFNAMSIZ; this one has ${name.length})`
  }
  if (base === '.' || base === '..') return `"${name}" is not a valid interface name`
  if (base.includes('+'))
    return opts.wildcard
      ? '"+" is allowed only at the end of an interface name (as a wildcard)'
      : '"+" is not allowed in an interface name here'
  if (base.length === 0)
    return opts.wildcard
      ? 'a wildcard needs a prefix ("veth+"); to match every interface, leave the field out'
      : 'an interface name cannot be empty'
  if (!INTERFACE_RE.test(base)) {
    return 'an interface name may contain only letters, digits, "_", ".", "@" and "-" (no "/", ":", spaces or quotes)'
  }
  return undefined
}

export const isValidLabel = (label: string): boolean => labelError(label) === undefined
export const isValidDockerName = (name: string, kind: 'container' | 'network'): boolean =>
  dockerNameError(name, kind) === undefined
export const isValidInterfaceName = (name: string, opts?: {wildcard?: boolean}): boolean =>
  interfaceNameError(name, opts) === undefined
