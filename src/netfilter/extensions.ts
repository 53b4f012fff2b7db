// What dockwall knows about iptables extensions (match modules and targets): how many
// values each option takes, aliases, the order iptables-save prints options in, and
// how values are quoted. Everything here was checked against iptables 1.8.9 on both
// backends (restore a loose form in a scratch namespace, save, compare); see
// normalize.ts for the value rewrites. Extensions not listed are read generically
// (an option takes the following words that do not look like options) and written
// back as read.

export interface ExtensionSpec {
  /** Canonical option names in the order iptables-save prints them. */
  order: readonly string[]
  /** Alias → canonical name (`destination-port` → `dport`). */
  aliases?: Readonly<Record<string, string>>
  /** Options whose number of values is not 1 (flags are 0). */
  arity?: Readonly<Record<string, number>>
}

const PORT_ALIASES = {'source-port': 'sport', 'destination-port': 'dport'} as const

export const MATCHES: Readonly<Record<string, ExtensionSpec>> = {
  tcp: {
    order: ['sport', 'dport', 'tcp-option', 'tcp-flags'],
    aliases: {...PORT_ALIASES},
    arity: {'tcp-flags': 2, syn: 0},
  },
  udp: {order: ['sport', 'dport'], aliases: {...PORT_ALIASES}},
  udplite: {order: ['sport', 'dport'], aliases: {...PORT_ALIASES}},
  sctp: {order: ['sport', 'dport', 'chunk-types'], aliases: {...PORT_ALIASES}, arity: {'chunk-types': 2}},
  dccp: {order: ['sport', 'dport', 'dccp-types', 'dccp-option'], aliases: {...PORT_ALIASES}},
  icmp: {order: ['icmp-type']},
  icmp6: {order: ['icmpv6-type']},
  multiport: {
    order: ['sports', 'dports', 'ports'],
    aliases: {'source-ports': 'sports', 'destination-ports': 'dports'},
  },
  conntrack: {
    order: [
      'ctstate',
      'ctproto',
      'ctorigsrc',
      'ctorigdst',
      'ctreplsrc',
      'ctrepldst',
      'ctorigsrcport',
      'ctorigdstport',
      'ctreplsrcport',
      'ctrepldstport',
      'ctstatus',
      'ctexpire',
      'ctdir',
    ],
  },
  state: {order: ['state']},
  comment: {order: ['comment']},
  addrtype: {
    order: ['src-type', 'dst-type', 'limit-iface-in', 'limit-iface-out'],
    arity: {'limit-iface-in': 0, 'limit-iface-out': 0},
  },
  mark: {order: ['mark']},
  connmark: {order: ['mark']},
  iprange: {order: ['src-range', 'dst-range']},
  limit: {order: ['limit', 'limit-burst']},
  mac: {order: ['mac-source']},
  physdev: {
    order: ['physdev-in', 'physdev-out', 'physdev-is-in', 'physdev-is-out', 'physdev-is-bridged'],
    arity: {'physdev-is-in': 0, 'physdev-is-out': 0, 'physdev-is-bridged': 0},
  },
  recent: {
    order: [
      'set',
      'rcheck',
      'update',
      'remove',
      'seconds',
      'reap',
      'hitcount',
      'rttl',
      'name',
      'mask',
      'rsource',
      'rdest',
    ],
    arity: {set: 0, rcheck: 0, update: 0, remove: 0, reap: 0, rttl: 0, rsource: 0, rdest: 0},
  },
  set: {
    order: ['match-set', 'return-nomatch', 'update-counters', 'update-subcounters', 'packets-eq', 'bytes-eq'],
    arity: {'match-set': 2, 'return-nomatch': 0},
  },
  pkttype: {order: ['pkt-type']},
  length: {order: ['length']},
  rpfilter: {
    order: ['loose', 'validmark', 'accept-local', 'invert'],
    arity: {loose: 0, validmark: 0, 'accept-local': 0, invert: 0},
  },
  string: {order: ['string', 'hex-string', 'algo', 'from', 'to', 'icase'], arity: {icase: 0}},
  u32: {order: ['u32']},
  helper: {order: ['helper']},
  owner: {
    order: ['uid-owner', 'gid-owner', 'socket-exists', 'suppl-groups'],
    arity: {'socket-exists': 0, 'suppl-groups': 0},
  },
}

export const TARGETS: Readonly<Record<string, ExtensionSpec>> = {
  ACCEPT: {order: []},
  DROP: {order: []},
  RETURN: {order: []},
  QUEUE: {order: []},
  REJECT: {order: ['reject-with']},
  LOG: {
    order: [
      'log-prefix',
      'log-level',
      'log-tcp-sequence',
      'log-tcp-options',
      'log-ip-options',
      'log-uid',
      'log-macdecode',
    ],
    arity: {'log-tcp-sequence': 0, 'log-tcp-options': 0, 'log-ip-options': 0, 'log-uid': 0, 'log-macdecode': 0},
  },
  NFLOG: {order: ['nflog-group', 'nflog-prefix', 'nflog-range', 'nflog-size', 'nflog-threshold']},
  DNAT: {
    order: ['to-destination', 'random', 'persistent'],
    aliases: {to: 'to-destination'},
    arity: {random: 0, persistent: 0},
  },
  SNAT: {
    order: ['to-source', 'random', 'random-fully', 'persistent'],
    aliases: {to: 'to-source'},
    arity: {random: 0, 'random-fully': 0, persistent: 0},
  },
  MASQUERADE: {order: ['to-ports', 'random', 'random-fully'], arity: {random: 0, 'random-fully': 0}},
  REDIRECT: {order: ['to-ports', 'random'], arity: {random: 0}},
  MARK: {order: ['set-xmark'], arity: {}},
  CONNMARK: {
    order: ['set-xmark', 'save-mark', 'restore-mark', 'nfmask', 'ctmask', 'mask'],
    arity: {'save-mark': 0, 'restore-mark': 0},
  },
  TCPMSS: {order: ['set-mss', 'clamp-mss-to-pmtu'], arity: {'clamp-mss-to-pmtu': 0}},
  CT: {order: ['notrack', 'helper', 'ctevents', 'expevents', 'zone', 'timeout'], arity: {notrack: 0}},
  NOTRACK: {order: []},
  CHECKSUM: {order: ['checksum-fill'], arity: {'checksum-fill': 0}},
}

/** Options iptables-save prints through xtables_save_string (bare when [A-Za-z0-9_-]+, else quoted). */
export const SAVE_STRING_OPTIONS: ReadonlySet<string> = new Set(['comment', 'log-prefix', 'nflog-prefix'])

/** Options iptables-save always prints in double quotes, escaping only `"` and `\` (libxt_string, libxt_u32). */
export const ALWAYS_QUOTED_OPTIONS: ReadonlySet<string> = new Set(['string', 'u32'])

/** The `-m` module that `-p PROTO` loads implicitly for options like `--dport`. */
export function protocolModule(proto: string | undefined): string | undefined {
  if (proto === undefined) return undefined
  const p = proto.toLowerCase()
  if (p === 'tcp' || p === '6') return 'tcp'
  if (p === 'udp' || p === '17') return 'udp'
  if (p === 'sctp' || p === '132') return 'sctp'
  if (p === 'dccp' || p === '33') return 'dccp'
  if (p === 'udplite' || p === '136') return 'udplite'
  if (p === 'icmp' || p === '1') return 'icmp'
  if (p === 'icmpv6' || p === 'ipv6-icmp' || p === '58') return 'icmp6'
  return undefined
}

function specOf(kind: 'module' | 'target', name: string): ExtensionSpec | undefined {
  return kind === 'module' ? MATCHES[name] : TARGETS[name]
}

/** The canonical name of an option (alias resolved), or the name itself when unknown. */
export function canonicalOption(kind: 'module' | 'target', ext: string, option: string): string {
  return specOf(kind, ext)?.aliases?.[option] ?? option
}

/** Whether a known extension has this option (under any of its names); undefined when the extension is unknown. */
export function extensionHasOption(kind: 'module' | 'target', ext: string, option: string): boolean | undefined {
  const spec = specOf(kind, ext)
  if (!spec) return undefined
  const name = spec.aliases?.[option] ?? option
  return spec.order.includes(name) || spec.arity?.[name] !== undefined || hasLegacyOption(kind, ext, option)
}

// Options iptables accepts but never prints (they are rewritten into others).
function hasLegacyOption(kind: 'module' | 'target', ext: string, option: string): boolean {
  if (kind === 'module') return ext === 'tcp' && option === 'syn'
  if (ext === 'MARK' || ext === 'CONNMARK') return ['set-mark', 'and-mark', 'or-mark', 'xor-mark'].includes(option)
  return false
}

/** Number of values a known option takes; undefined when unknown (the reader then guesses). */
export function optionArity(kind: 'module' | 'target', ext: string, option: string): number | undefined {
  const spec = specOf(kind, ext)
  if (!spec) return undefined
  const name = spec.aliases?.[option] ?? option
  if (spec.arity?.[name] !== undefined) return spec.arity[name]
  if (spec.order.includes(name) || hasLegacyOption(kind, ext, option)) return 1
  return undefined
}

/** Index of an option in the extension's print order (unknown options sort last, keeping their order). */
export function optionRank(kind: 'module' | 'target', ext: string, option: string): number {
  const spec = specOf(kind, ext)
  const i = spec ? spec.order.indexOf(option) : -1
  return i < 0 ? Number.MAX_SAFE_INTEGER : i
}

export function isKnownExtension(kind: 'module' | 'target', name: string): boolean {
  return specOf(kind, name) !== undefined
}
