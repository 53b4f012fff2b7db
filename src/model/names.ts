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

/**
 * Longest Docker network or container name dockwall accepts. Docker sets none itself, but a
 * name travels in request URLs (`GET /networks/NAME`), and Go's HTTP server refuses request
 * headers over 1 MiB with status 431: a 5 MB name passed `validate` and failed mid-apply
 * after other resources were created (issue 15). 255 is the longest DNS name, which is
 * what Docker's embedded DNS serves container names as.
 */
export const DOCKER_NAME_MAX_LENGTH = 255

/** A Docker container or network name. Docker requires at least two characters for containers. */
export function dockerNameError(name: string, kind: 'container' | 'network'): string | undefined {
  if (name.length === 0) return `a ${kind} name cannot be empty`
  if (name.length > DOCKER_NAME_MAX_LENGTH)
    return `a Docker ${kind} name can have at most ${DOCKER_NAME_MAX_LENGTH} characters (this one has ${name.length})`
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

// A resource address as dockwall writes it, by type. Addresses end up in iptables comments
// (`dockwall:<address>`), restore input and messages, so one read from a state file is
// checked as strictly as a label from the configuration (issue 15: a malformed address in
// the state was accepted and acted on).
const L = '[A-Za-z_][A-Za-z0-9_-]{0,63}'
const NS = `(?:host|container\\.${L})`
const ADDRESS_RE: Readonly<Record<string, RegExp>> = {
  network: new RegExp(`^network\\.${L}$`),
  attachment: new RegExp(`^container\\.${L}\\.network\\.${L}$`),
  route: new RegExp(`^container\\.${L}\\.route\\["[0-9A-Fa-f.:]+/\\d{1,3}"\\]$`),
  rule: new RegExp(`^rule\\.${L}$`),
  port_forward: new RegExp(`^port_forward\\.${L}$`),
  masquerade: new RegExp(`^masquerade\\.${L}$`),
  firewall: /^firewall$/,
  chain: new RegExp(`^chain\\["${NS}:(?:ipv6:)?(?:raw:)?DOCKWALL-[A-Z]+"\\]$`),
}

/** Why `address` is not an address dockwall writes for a resource of `type`, or undefined. */
export function resourceAddressError(address: string, type: string): string | undefined {
  const re = ADDRESS_RE[type]
  if (!re) return `unknown resource type ${JSON.stringify(type)}`
  if (re.test(address)) return undefined
  const shape: Record<string, string> = {
    network: 'network.LABEL',
    attachment: 'container.LABEL.network.LABEL',
    route: 'container.LABEL.route["CIDR"]',
    rule: 'rule.LABEL',
    port_forward: 'port_forward.LABEL',
    masquerade: 'masquerade.LABEL',
    firewall: 'firewall',
    chain: 'chain["NAMESPACE:DOCKWALL-CHAIN"]',
  }
  return `not a ${type} address (expected ${shape[type]}, labels of letters, digits, "_" and "-")`
}

// ---- Values Docker judges when it creates a network ------------------------------------
//
// Checked with a position before the plan runs, so a replace cannot delete a network and
// then fail to create its successor on bad input (issue 15: `"br x"` as a bridge name did
// exactly that). The option names and formats are the bridge driver's
// (moby daemon/libnetwork/drivers/bridge: labels.go, networkConfiguration.fromLabels, and
// netlabel/labels.go).

/** The label dockwall puts on the networks it creates: the lineage of the state that made them. */
export const LINEAGE_LABEL = 'dockwall.lineage'

export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name'

/**
 * Longest label or option key and value. moby sets no size limit on network labels or
 * driver options; these keep requests, plans and the state small, far from any limit.
 */
export const LABEL_KEY_MAX_LENGTH = 255
export const LABEL_VALUE_MAX_LENGTH = 4096

/**
 * A bridge's interface name (`com.docker.network.bridge.name`): Linux takes up to 15 bytes
 * and almost any of them, but Docker writes the name into iptables rules and netlink calls,
 * and `a"b`, `a;b` were accepted; only the characters real interface names use.
 */
export function bridgeNameError(name: string): string | undefined {
  if (name.length === 0) return 'a bridge name cannot be empty'
  const bytes = new TextEncoder().encode(name).length
  if (bytes > INTERFACE_NAME_MAX_LENGTH)
    return `a bridge name can have at most ${INTERFACE_NAME_MAX_LENGTH} bytes (Linux IFNAMSIZ; this one has ${bytes})`
  if (name === '.' || name === '..') return `"${name}" is not a valid interface name`
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return 'a bridge name may contain only letters, digits, "_", "." and "-"'
  return undefined
}

// Go's strconv.ParseBool, which the bridge driver uses for its boolean options.
const GO_BOOL = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'])
const IPV4_RE = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/

type OptionCheck = (value: string) => string | undefined
const boolOption: OptionCheck = (v) => (GO_BOOL.has(v) ? undefined : 'expected true or false')
const ipOption: OptionCheck = (v) =>
  IPV4_RE.test(v) || (/^[0-9A-Fa-f:.]+$/.test(v) && v.includes(':')) ? undefined : 'expected an IP address'

const NETWORK_OPTIONS: Readonly<Record<string, OptionCheck>> = {
  [BRIDGE_NAME_OPTION]: bridgeNameError,
  'com.docker.network.bridge.enable_ip_masquerade': boolOption,
  'com.docker.network.bridge.enable_icc': boolOption,
  'com.docker.network.bridge.inhibit_ipv4': boolOption,
  'com.docker.network.bridge.default_bridge': boolOption,
  'com.docker.network.enable_ipv4': boolOption,
  'com.docker.network.enable_ipv6': boolOption,
  'com.docker.network.bridge.gateway_mode_ipv4': (v) =>
    ['nat', 'nat-unprotected', 'routed', 'isolated'].includes(v)
      ? undefined
      : 'expected nat, nat-unprotected, routed or isolated',
  'com.docker.network.bridge.gateway_mode_ipv6': (v) =>
    ['nat', 'nat-unprotected', 'routed', 'isolated'].includes(v)
      ? undefined
      : 'expected nat, nat-unprotected, routed or isolated',
  'com.docker.network.bridge.host_binding_ipv4': ipOption,
  'com.docker.network.host_ipv4': (v) => (IPV4_RE.test(v) ? undefined : 'expected an IPv4 address'),
  'com.docker.network.host_ipv6': (v) =>
    /^[0-9A-Fa-f:.]+$/.test(v) && v.includes(':') ? undefined : 'expected an IPv6 address',
  'com.docker.network.driver.mtu': (v) =>
    /^\d{1,5}$/.test(v) && Number(v) <= 65535 ? undefined : 'expected an MTU, a whole number from 0 to 65535',
  'com.docker.network.container_iface_prefix': (v) =>
    /^[A-Za-z][A-Za-z0-9_.-]{0,9}$/.test(v)
      ? undefined
      : 'expected an interface name prefix: a letter, then at most 9 letters, digits, "_", "." or "-"',
  'com.docker.network.bridge.trusted_host_interfaces': (v) =>
    v.split(':').every((i) => i === '' || interfaceNameError(i) === undefined)
      ? undefined
      : 'expected interface names separated by ":"',
}

// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL_RE = /[\u0000-\u001f\u007f]/

/**
 * A label or option key or value: sizes; and for options no control characters (the driver
 * reads them; labels are only stored and shown, always quoted, so any text goes).
 */
function mapEntryError(kind: 'label' | 'option', key: string, value: string): string | undefined {
  const a = kind === 'label' ? 'a label' : 'an option'
  if (key.length === 0) return `${a} name cannot be empty`
  if (key.length > LABEL_KEY_MAX_LENGTH)
    return `${a} name can have at most ${LABEL_KEY_MAX_LENGTH} characters (this one has ${key.length})`
  if (value.length > LABEL_VALUE_MAX_LENGTH)
    return `${a} value can have at most ${LABEL_VALUE_MAX_LENGTH} characters (this one has ${value.length})`
  if (kind === 'option' && (CONTROL_RE.test(key) || CONTROL_RE.test(value)))
    return `${a} cannot contain control characters`
  return undefined
}

/** A network label: sizes, and not dockwall's own lineage label. */
export function networkLabelError(key: string, value: string): string | undefined {
  if (key === LINEAGE_LABEL)
    return `the label ${LINEAGE_LABEL} is dockwall's own: it marks the networks dockwall creates`
  return mapEntryError('label', key, value)
}

/** A bridge driver option: sizes, and the format the bridge driver parses for the options it knows. */
export function networkOptionError(key: string, value: string): string | undefined {
  return mapEntryError('option', key, value) ?? NETWORK_OPTIONS[key]?.(value)
}
