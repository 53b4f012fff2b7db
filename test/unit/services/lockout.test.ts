// The SSH lockout guard over a table of cases: a host (iptables-save dumps of both
// backends and families, interfaces, routes), a plan (from a configuration through the
// real planner, or hand-written transactions), an SSH session, and what the guard must
// answer. The evaluator decides; nothing here pattern-matches rules.
import {describe, expect, it} from 'vitest'

import {AbortError} from '../../../src/errors.js'
import type {DesiredModel, FirewallSpec} from '../../../src/model/types.js'
import {makePlan} from '../../../src/plan/planner.js'
import type {Change, FirewallTransaction, Plan} from '../../../src/plan/types.js'
import type {HostDump} from '../../../src/refresh/host-dump.js'
import {readTables} from '../../../src/refresh/tables.js'
import type {ActualModel} from '../../../src/refresh/types.js'
import {
  evaluateLastPath,
  evaluateLockout,
  planTouchesHostPath,
  type LockoutReport,
} from '../../../src/services/lockout.js'
import {findSshSession, parseSshClient, parseSshConnection, type SshSession} from '../../../src/services/ssh-session.js'
import {cidr, defaultFirewall, model, network, portForward, rule} from '../plan/builders.js'

// ---------------------------------------------------------------- the host

/** A Docker host: eth0 on a LAN with a default route, docker0, eth1 on a second network; IPv6 on eth0. */
const ADDR = JSON.stringify([
  {ifname: 'lo', addr_info: [{family: 'inet', local: '127.0.0.1', prefixlen: 8}]},
  {
    ifname: 'eth0',
    addr_info: [
      {family: 'inet', local: '198.51.100.1', prefixlen: 24},
      {family: 'inet6', local: '2001:db8:77::1', prefixlen: 64, scope: 'global'},
    ],
  },
  {ifname: 'eth1', addr_info: [{family: 'inet', local: '192.168.50.1', prefixlen: 24}]},
  {ifname: 'docker0', addr_info: [{family: 'inet', local: '172.17.0.1', prefixlen: 16}]},
])
const ROUTES4 = JSON.stringify([
  {dst: 'default', gateway: '198.51.100.254', dev: 'eth0'},
  {dst: '198.51.100.0/24', dev: 'eth0', prefsrc: '198.51.100.1'},
  {dst: '192.168.50.0/24', dev: 'eth1', prefsrc: '192.168.50.1'},
  {dst: '172.17.0.0/16', dev: 'docker0', prefsrc: '172.17.0.1'},
])
const ROUTES6 = JSON.stringify([
  {dst: '2001:db8:77::/64', dev: 'eth0'},
  {dst: 'default', gateway: '2001:db8:77::fe', dev: 'eth0'},
])

/** Docker 20.10's filter and nat layout, with `extra` lines per table spliced in before COMMIT. */
function dockerSave(extra: {filter?: string[]; nat?: string[]; raw?: string[]; input?: string} = {}): string {
  const raw = extra.raw ? `*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${extra.raw.join('\n')}\nCOMMIT\n` : ''
  return `${raw}*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
${(extra.nat ?? []).join('\n')}
COMMIT
*filter
:INPUT ${extra.input ?? 'ACCEPT'} [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
${(extra.filter ?? []).join('\n')}
COMMIT
`.replaceAll('\n\n', '\n')
}

interface HostSpec {
  /** nft save (IPv4); default Docker's layout. */
  nft?: string
  legacy?: string | null
  nft6?: string | null
  legacy6?: string | null
  routes4?: string
  /** `ip -j addr`; default ADDR. */
  addr?: string
}

/** Absent: no rules (''); null: the save failed. */
const or = (v: string | null | undefined): string | null => (v === undefined ? '' : v)

function dump(h: HostSpec = {}): HostDump {
  return {
    addr: h.addr ?? ADDR,
    families: [
      {
        family: 'ipv4',
        saves: {nft: h.nft ?? dockerSave(), legacy: or(h.legacy)},
        routes: h.routes4 ?? ROUTES4,
        forwarding: '1\n',
      },
      {family: 'ipv6', saves: {nft: or(h.nft6), legacy: or(h.legacy6)}, routes: ROUTES6, forwarding: '0\n'},
    ],
  }
}

/** The actual model refresh would build from the nft dump: what the planner plans against. */
function actualOf(h: HostSpec): ActualModel {
  return {
    docker: {engine: {version: '20.10.24', apiVersion: '1.41'}, networks: [], containers: []},
    namespaces: [{key: 'host', backend: 'nft', backendReason: 'test', tables: readTables(h.nft ?? dockerSave())}],
    unreadable: [],
  }
}

// ---------------------------------------------------------------- plans

function planFrom(m: DesiredModel, h: HostSpec = {}): Plan {
  const {plan, errors} = makePlan(
    {model: m, actual: actualOf(h), prior: null},
    {mode: 'normal', targets: [], dockwallVersion: 't'},
  )
  expect(errors).toEqual([])
  return plan
}

const fw = (f: Partial<FirewallSpec>): DesiredModel => model({firewall: {...defaultFirewall, ...f}})

/** A plan of hand-written host transactions (and Docker changes). */
function planOf(
  txs: Array<Partial<FirewallTransaction> & {input: string; family?: 'ipv4' | 'ipv6'}>,
  changes: Change[] = [],
): Plan {
  return {
    formatVersion: '1.0',
    dockwallVersion: 't',
    mode: 'normal',
    changes,
    drift: [],
    warnings: [],
    firewall: txs.map(
      (t) =>
        ({
          namespace: 'host',
          family: 'ipv4',
          backend: 'nft',
          table: 'filter',
          addresses: [],
          ...t,
        }) as FirewallTransaction,
    ),
    prior: {serial: 0, lineage: null},
    lineage: '00000000-0000-4000-8000-000000000001',
    actualHash: '',
    targets: [],
  }
}

const jumpInput = (lines: string[], table = 'filter', chain = 'DOCKWALL-INPUT', from = 'INPUT'): string =>
  `*${table}\n:${chain} - [0:0]\n${lines.map((l) => `-A ${chain} ${l}`).join('\n')}\n-I ${from} 1 -m comment --comment dockwall:jump -j ${chain}\nCOMMIT\n`

// ---------------------------------------------------------------- sessions

const REMOTE = parseSshConnection('203.0.113.7 51234 198.51.100.1 22')
const LAN = parseSshConnection('198.51.100.7 40022 198.51.100.1 22')
const V6 = parseSshConnection('2001:db8:77::2 50000 2001:db8:77::1 22')

// ---------------------------------------------------------------- the table

type Expect = 'safe' | 'unverified' | 'elsewhere' | {cut: 'first' | 'reply' | 'next' | 'redirect'; by?: RegExp}

interface Case {
  name: string
  host?: HostSpec
  ssh?: SshSession
  plan: (h: HostSpec) => Plan
  expect: Expect
}

const cases: Case[] = [
  // Plans from configurations, through the real planner.
  {name: 'an empty configuration', plan: (h) => planFrom(model(), h), expect: 'safe'},
  {name: 'input_policy = drop keeps SSH open', plan: (h) => planFrom(fw({inputPolicy: 'drop'}), h), expect: 'safe'},
  {
    name: 'input_policy = drop with allow_ssh = false refuses new connections',
    plan: (h) => planFrom(fw({inputPolicy: 'drop', sshPort: null}), h),
    expect: {cut: 'first', by: /DOCKWALL-INPUT .*dockwall:firewall.* -j DROP/},
  },
  {
    name: 'ssh_port moved away from the session’s port',
    plan: (h) => planFrom(fw({inputPolicy: 'drop', sshPort: 2222}), h),
    expect: {cut: 'first'},
  },
  {
    name: 'ssh_port moved to the session’s port',
    ssh: parseSshConnection('203.0.113.7 51234 198.51.100.1 2222'),
    plan: (h) => planFrom(fw({inputPolicy: 'drop', sshPort: 2222}), h),
    expect: 'safe',
  },
  {
    name: 'an input drop of the client’s network',
    plan: (h) =>
      planFrom(model({rules: [rule('block', {chain: 'input', from: [cidr('203.0.113.0/24')], action: 'drop'})]}), h),
    expect: {cut: 'first', by: /dockwall:rule\.block/},
  },
  {
    name: 'an input reject of everything',
    plan: (h) => planFrom(model({rules: [rule('all', {chain: 'input', action: 'reject'})]}), h),
    expect: {cut: 'first', by: /REJECT/},
  },
  {
    name: 'an input drop of port 22 from anywhere',
    plan: (h) =>
      planFrom(
        model({rules: [rule('nossh', {chain: 'input', proto: 'tcp', ports: [{from: 22, to: 22}], action: 'drop'})]}),
        h,
      ),
    expect: {cut: 'first', by: /dockwall:rule\.nossh/},
  },
  {
    name: 'an input drop of another network',
    plan: (h) =>
      planFrom(model({rules: [rule('block', {chain: 'input', from: [cidr('10.0.0.0/8')], action: 'drop'})]}), h),
    expect: 'safe',
  },
  {
    name: 'an input drop of another port',
    plan: (h) =>
      planFrom(
        model({rules: [rule('web', {chain: 'input', proto: 'tcp', ports: [{from: 80, to: 80}], action: 'drop'})]}),
        h,
      ),
    expect: 'safe',
  },
  {
    name: 'an input drop on another interface',
    plan: (h) => planFrom(model({rules: [rule('eth1', {chain: 'input', inInterface: 'eth1', action: 'drop'})]}), h),
    expect: 'safe',
  },
  {
    name: 'an input drop on the session’s interface',
    plan: (h) => planFrom(model({rules: [rule('eth0', {chain: 'input', inInterface: 'eth0', action: 'drop'})]}), h),
    expect: {cut: 'first', by: /-i eth0/},
  },
  {
    name: 'an accept of the client before a drop of everything',
    plan: (h) =>
      planFrom(
        model({
          rules: [
            rule('me', {chain: 'input', from: [cidr('203.0.113.7')], priority: 10}),
            rule('rest', {chain: 'input', action: 'drop', priority: 20}),
          ],
        }),
        h,
      ),
    expect: 'safe',
  },
  {
    name: 'allow_ssh = false with an accept of the client',
    plan: (h) =>
      planFrom(
        model({
          firewall: {...defaultFirewall, inputPolicy: 'drop', sshPort: null},
          rules: [rule('me', {chain: 'input', from: [cidr('203.0.113.0/24')]})],
        }),
        h,
      ),
    expect: 'safe',
  },
  {
    name: 'an output drop to the client: replies die',
    plan: (h) =>
      planFrom(model({rules: [rule('out', {chain: 'output', to: [cidr('203.0.113.7')], action: 'drop'})]}), h),
    expect: {cut: 'reply', by: /DOCKWALL-OUTPUT/},
  },
  {
    name: 'an output drop to the client’s source port',
    plan: (h) =>
      planFrom(
        model({
          rules: [rule('out', {chain: 'output', proto: 'tcp', ports: [{from: 51234, to: 51234}], action: 'drop'})],
        }),
        h,
      ),
    expect: {cut: 'reply'},
  },
  {
    name: 'an output drop elsewhere',
    plan: (h) =>
      planFrom(model({rules: [rule('out', {chain: 'output', to: [cidr('10.0.0.0/8')], action: 'drop'})]}), h),
    expect: 'safe',
  },
  {
    name: 'a port_forward of port 22 on the SSH interface sends new connections to a container',
    plan: (h) =>
      planFrom(
        model({
          portForwards: [portForward('ssh', {to: cidr('172.17.0.5'), inInterface: 'eth0', port: 22, toPort: 22})],
        }),
        h,
      ),
    expect: {cut: 'redirect', by: /172\.17\.0\.5/},
  },
  {
    name: 'a port_forward of port 22 on any interface',
    plan: (h) =>
      planFrom(model({portForwards: [portForward('ssh', {to: cidr('172.17.0.5'), port: 22, toPort: 2222})]}), h),
    expect: {cut: 'redirect'},
  },
  {
    name: 'a port_forward of port 22 on another interface',
    plan: (h) =>
      planFrom(
        model({
          portForwards: [portForward('ssh', {to: cidr('172.17.0.5'), inInterface: 'eth1', port: 22, toPort: 22})],
        }),
        h,
      ),
    expect: 'safe',
  },
  {
    name: 'a port_forward of port 22 limited to other sources',
    plan: (h) =>
      planFrom(
        model({
          portForwards: [
            portForward('ssh', {to: cidr('172.17.0.5'), inInterface: 'eth0', port: 22, from: [cidr('10.0.0.0/8')]}),
          ],
        }),
        h,
      ),
    expect: 'safe',
  },
  {
    name: 'a port_forward of another port',
    plan: (h) =>
      planFrom(model({portForwards: [portForward('web', {to: cidr('172.17.0.5'), inInterface: 'eth0', port: 80})]}), h),
    expect: 'safe',
  },
  {
    name: 'forward rules and a drop forward policy',
    plan: (h) =>
      planFrom(model({firewall: {...defaultFirewall, forwardPolicy: 'drop'}, rules: [rule('f', {action: 'drop'})]}), h),
    expect: 'safe',
  },
  {
    name: 'a network whose subnet captures the client’s address: replies go into the bridge',
    plan: (h) => planFrom(model({networks: [network('grab', '203.0.113.0/24')]}), h),
    expect: {cut: 'reply', by: /not eth0/},
  },
  {
    name: 'a network with a subnet of its own',
    plan: (h) => planFrom(model({networks: [network('own', '172.30.0.0/16')]}), h),
    expect: 'safe',
  },
  {
    name: 'a network more specific than the LAN the client is on',
    ssh: LAN,
    plan: (h) => planFrom(model({networks: [network('grab', '198.51.100.0/25')]}), h),
    expect: {cut: 'reply'},
  },
  {
    name: 'deleting a Docker network takes its bridge and its routes away (here: one that held the client’s subnet)',
    host: {
      addr: JSON.stringify([
        ...(JSON.parse(ADDR) as unknown[]),
        {ifname: 'br-0123456789ab', addr_info: [{family: 'inet', local: '203.0.113.1', prefixlen: 24}]},
      ]),
      routes4: JSON.stringify([
        ...(JSON.parse(ROUTES4) as unknown[]),
        {dst: '203.0.113.0/24', dev: 'br-0123456789ab', prefsrc: '203.0.113.1'},
      ]),
    },
    ssh: parseSshConnection('203.0.113.7 51234 198.51.100.1 22'),
    plan: () =>
      planOf(
        [],
        [
          {
            address: 'network.old',
            type: 'network',
            action: 'delete',
            before: {name: 'old', subnet: '203.0.113.0/24', options: {}},
            after: null,
            reasons: [],
            dependsOn: [],
            ids: {id: '0123456789abcdef'},
          },
        ],
      ),
    expect: 'safe',
  },
  {
    name: 'a LAN client and a drop of another LAN',
    ssh: LAN,
    plan: (h) =>
      planFrom(model({rules: [rule('b', {chain: 'input', from: [cidr('192.168.50.0/24')], action: 'drop'})]}), h),
    expect: 'safe',
  },

  // Sessions in other spellings.
  {
    name: 'IPv4-mapped IPv6 addresses are the IPv4 session',
    ssh: parseSshConnection('::ffff:203.0.113.7 51234 ::ffff:198.51.100.1 22'),
    plan: (h) =>
      planFrom(model({rules: [rule('block', {chain: 'input', from: [cidr('203.0.113.7')], action: 'drop'})]}), h),
    expect: {cut: 'first', by: /203\.0\.113\.7/},
  },
  {
    name: 'IPv4-mapped, not affected',
    ssh: parseSshConnection('::ffff:203.0.113.7 51234 ::ffff:198.51.100.1 22'),
    plan: (h) => planFrom(fw({inputPolicy: 'drop'}), h),
    expect: 'safe',
  },
  {
    name: '--ssh-client: the server address is the host’s address toward the client',
    ssh: parseSshClient('203.0.113.7'),
    plan: (h) =>
      planFrom(model({rules: [rule('block', {chain: 'input', from: [cidr('203.0.113.7')], action: 'drop'})]}), h),
    expect: {cut: 'first'},
  },
  {
    name: '--ssh-client with its port, not affected',
    ssh: parseSshClient('203.0.113.7:2222'),
    plan: (h) => planFrom(fw({inputPolicy: 'drop', sshPort: 2222}), h),
    expect: 'safe',
  },
  {
    name: 'a session to an address the namespace does not have (a rehearsal namespace)',
    ssh: parseSshConnection('203.0.113.7 51234 192.0.2.99 22'),
    plan: (h) => planFrom(fw({inputPolicy: 'drop', sshPort: null}), h),
    expect: 'elsewhere',
  },
  {
    name: '--ssh-client with no route toward it',
    ssh: parseSshClient('203.0.113.7'),
    host: {routes4: JSON.stringify([{dst: '198.51.100.0/24', dev: 'eth0', prefsrc: '198.51.100.1'}])},
    plan: (h) => planFrom(fw({inputPolicy: 'drop', sshPort: null}), h),
    expect: 'elsewhere',
  },

  // Foreign rules: every table of the path, written by someone else.
  {
    name: 'a foreign INPUT drop of the client that is there already, and a harmless plan: the model cannot see the session; unchanged',
    host: {nft: dockerSave({filter: ['-A INPUT -s 203.0.113.7/32 -j DROP']})},
    plan: (h) =>
      planFrom(model({rules: [rule('web', {chain: 'input', proto: 'tcp', ports: [{from: 80, to: 80}]})]}), h),
    expect: 'unverified',
  },
  {
    name: 'a foreign INPUT drop of the client, and input_policy = drop whose SSH accept comes first',
    host: {nft: dockerSave({filter: ['-A INPUT -s 203.0.113.7/32 -j DROP']})},
    plan: (h) => planFrom(fw({inputPolicy: 'drop'}), h),
    expect: 'safe',
  },
  {
    name: 'INPUT policy DROP with a foreign SSH accept, and a dockwall drop of the client before it',
    host: {nft: dockerSave({input: 'DROP', filter: ['-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT']})},
    plan: (h) =>
      planFrom(model({rules: [rule('block', {chain: 'input', from: [cidr('203.0.113.0/24')], action: 'drop'})]}), h),
    expect: {cut: 'first'},
  },
  {
    name: 'INPUT policy DROP with a foreign SSH accept, and dockwall rules that return',
    host: {nft: dockerSave({input: 'DROP', filter: ['-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT']})},
    plan: (h) =>
      planFrom(model({rules: [rule('web', {chain: 'input', proto: 'tcp', ports: [{from: 80, to: 80}]})]}), h),
    expect: 'safe',
  },
  {
    name: 'a foreign DNAT of the SSH port already there (SSH into a container): unchanged',
    host: {
      nft: dockerSave({
        nat: ['-A PREROUTING -i eth0 -p tcp -m tcp --dport 22 -j DNAT --to-destination 172.17.0.9:22'],
        filter: ['-A DOCKER -d 172.17.0.9/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 22 -j ACCEPT'],
      }),
    },
    plan: (h) => planFrom(fw({inputPolicy: 'drop'}), h),
    expect: 'safe',
  },
  {
    name: 'a raw PREROUTING drop of the client already there: unchanged',
    host: {nft: dockerSave({raw: ['-A PREROUTING -s 203.0.113.7/32 -j DROP']})},
    plan: (h) => planFrom(fw({inputPolicy: 'drop'}), h),
    expect: 'unverified',
  },
  {
    name: 'a foreign rate limit on SSH (outside the model) and a harmless plan',
    host: {
      nft: dockerSave({
        filter: [
          '-A INPUT -p tcp -m tcp --dport 22 -m recent --update --seconds 60 --hitcount 4 --name DEFAULT --mask 255.255.255.255 --rsource -j DROP',
        ],
      }),
    },
    plan: (h) =>
      planFrom(model({rules: [rule('web', {chain: 'input', proto: 'tcp', ports: [{from: 80, to: 80}]})]}), h),
    expect: 'unverified',
  },
  {
    name: 'a foreign rate limit on SSH and a dockwall drop of the client before it',
    host: {
      nft: dockerSave({
        filter: [
          '-A INPUT -p tcp -m tcp --dport 22 -m recent --update --seconds 60 --hitcount 4 --name DEFAULT --mask 255.255.255.255 --rsource -j DROP',
        ],
      }),
    },
    plan: (h) =>
      planFrom(model({rules: [rule('block', {chain: 'input', from: [cidr('203.0.113.7')], action: 'drop'})]}), h),
    expect: {cut: 'first'},
  },
  {
    name: 'legacy rules beside nft ones: a legacy INPUT DROP policy with an SSH accept, a harmless plan',
    host: {
      legacy:
        '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n',
    },
    plan: (h) => planFrom(fw({inputPolicy: 'drop'}), h),
    expect: 'safe',
  },
  {
    name: 'a legacy ruleset that could not be read, and a harmless plan',
    host: {legacy: null},
    plan: (h) => planFrom(fw({inputPolicy: 'drop'}), h),
    expect: 'unverified',
  },

  // Hand-written transactions: what the planner may emit, and removals.
  {
    name: 'removing dockwall’s SSH accept while the foreign INPUT policy is DROP',
    host: {
      nft: dockerSave({
        input: 'DROP',
        filter: [
          ':DOCKWALL-INPUT - [0:0]',
          '-A INPUT -m comment --comment dockwall:jump -j DOCKWALL-INPUT',
          '-A DOCKWALL-INPUT -p tcp -m tcp --dport 22 -m comment --comment dockwall:firewall -j ACCEPT',
        ],
      })
        .replace(':DOCKWALL-INPUT - [0:0]\n-A INPUT', '-A INPUT')
        .replace(':DOCKER-USER - [0:0]', ':DOCKER-USER - [0:0]\n:DOCKWALL-INPUT - [0:0]'),
    },
    plan: () =>
      planOf([
        {
          input:
            '*filter\n-D INPUT -m comment --comment dockwall:jump -j DOCKWALL-INPUT\n:DOCKWALL-INPUT - [0:0]\n-X DOCKWALL-INPUT\nCOMMIT\n',
        },
      ]),
    expect: {cut: 'first', by: /policy DROP/},
  },
  {
    name: 'a transaction that would fail (a -D of a missing rule) leaves the table as it is',
    plan: () => planOf([{input: '*filter\n-D INPUT -s 1.2.3.4/32 -j ACCEPT\n-P INPUT DROP\nCOMMIT\n'}]),
    expect: 'safe',
  },
  {
    name: 'a bare DNAT of the SSH port in dockwall’s nat chain: new connections die in FORWARD',
    plan: () =>
      planOf([
        {
          table: 'nat',
          input: jumpInput(
            ['-p tcp -m tcp --dport 22 -j DNAT --to-destination 172.17.0.5:22'],
            'nat',
            'DOCKWALL-PREROUTING',
            'PREROUTING',
          ),
        },
      ]),
    expect: {cut: 'first', by: /FORWARD policy DROP/},
  },
  {
    name: 'a DNAT of the SSH port to a published container port: the forward chains are read too (Docker’s accept)',
    host: {
      nft: dockerSave({
        filter: ['-A DOCKER -d 172.17.0.5/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 22 -j ACCEPT'],
      }),
    },
    plan: () =>
      planOf([
        {
          table: 'nat',
          input: jumpInput(
            ['-p tcp -m tcp --dport 22 -j DNAT --to-destination 172.17.0.5:22'],
            'nat',
            'DOCKWALL-PREROUTING',
            'PREROUTING',
          ),
        },
      ]),
    expect: {cut: 'redirect', by: /172\.17\.0\.5/},
  },
  {
    name: 'a raw PREROUTING drop written in the plan',
    plan: () =>
      planOf([
        {
          table: 'raw' as FirewallTransaction['table'],
          input: '*raw\n-I PREROUTING 1 -s 203.0.113.0/24 -j DROP\nCOMMIT\n',
        },
      ]),
    expect: {cut: 'first', by: /raw/},
  },
  {
    name: 'an INVALID-state drop does not touch a valid session',
    plan: () => planOf([{input: jumpInput(['-m conntrack --ctstate INVALID -j DROP'])}]),
    expect: 'safe',
  },
  {
    name: 'a drop of ESTABLISHED traffic cuts the current session',
    plan: () => planOf([{input: jumpInput(['-p tcp -m conntrack --ctstate ESTABLISHED -j DROP'])}]),
    expect: {cut: 'next'},
  },
  {
    name: 'a drop of NEW connections only refuses new ones',
    plan: () => planOf([{input: jumpInput(['-m conntrack --ctstate NEW -j DROP'])}]),
    expect: {cut: 'first'},
  },
  {
    name: 'a plan written to the legacy backend is evaluated with the legacy rules',
    host: {legacy: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n'},
    plan: () => planOf([{backend: 'legacy', input: jumpInput(['-s 203.0.113.7/32 -j DROP'])}]),
    expect: {cut: 'first'},
  },

  // IPv6.
  {
    name: 'an IPv6 session and IPv4-only rules',
    ssh: V6,
    plan: (h) => planFrom(fw({inputPolicy: 'drop', sshPort: null}), h),
    expect: 'safe',
  },
  {
    name: 'an IPv6 session and an ip6tables drop of its network',
    ssh: V6,
    plan: () => planOf([{family: 'ipv6', input: jumpInput(['-s 2001:db8:77::/64 -j DROP'])}]),
    expect: {cut: 'first', by: /ip6tables/},
  },
  {
    name: 'an IPv6 session behind a foreign ip6tables DROP policy with an SSH accept, and a harmless plan',
    ssh: V6,
    host: {
      nft6: '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n',
    },
    plan: () => planOf([{family: 'ipv6', input: jumpInput(['-p tcp -m tcp --dport 80 -j ACCEPT'])}]),
    expect: 'safe',
  },
  {
    name: 'an IPv6 session and a network whose IPv6 subnet captures the client',
    ssh: V6,
    plan: (h) =>
      planFrom(model({networks: [network('v6', '172.31.0.0/24', {ipv6: {subnet: '2001:db8:77::/112'}})]}), h),
    expect: {cut: 'reply'},
  },
]

function check(r: LockoutReport, e: Expect): void {
  const o = r.outcome
  if (typeof e === 'string') {
    expect(o.kind, JSON.stringify(o, null, 1).slice(0, 3000)).toBe(e)
    return
  }
  expect(o.kind, JSON.stringify(o, null, 1).slice(0, 3000)).toBe('cut')
  if (o.kind !== 'cut') return
  const after = o.check.after
  if (e.cut === 'redirect') {
    expect(after.verdict).toBe('allow')
    expect(o.what).toMatch(/^new SSH connections would be redirected to /)
  } else {
    expect(after.verdict).toBe('deny')
    expect(after.traces[after.traces.length - 1]!.packet).toBe(e.cut)
  }
  if (e.by) expect(`${o.what}\n${after.summary}`).toMatch(e.by)
}

describe('SSH lockout guard: the plan evaluated against the session', () => {
  it('has at least 40 cases', () => expect(cases.length).toBeGreaterThanOrEqual(40))

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const host = c.host ?? {}
    const report = evaluateLockout(c.plan(host), c.ssh ?? REMOTE, dump(host))
    check(report, c.expect)
  })
})

describe('which plans the guard evaluates', () => {
  it('skips a plan that changes nothing on the host path', () => {
    expect(planTouchesHostPath(planOf([]))).toBe(false)
    expect(planTouchesHostPath(planOf([{namespace: 'container.web', input: '*filter\nCOMMIT\n'}]))).toBe(false)
    expect(planTouchesHostPath(planOf([{input: '*filter\nCOMMIT\n'}]))).toBe(true)
    expect(planTouchesHostPath(planFrom(model({networks: [network('n', '172.30.0.0/16')]})))).toBe(true)
  })
})

describe('the SSH session: SSH_CONNECTION, --ssh-client, the ancestors', () => {
  it('reads SSH_CONNECTION of both families, mapped and zoned addresses', () => {
    expect(REMOTE).toMatchObject({
      family: 'ipv4',
      clientIp: '203.0.113.7',
      clientPort: 51234,
      serverIp: '198.51.100.1',
      serverPort: 22,
    })
    expect(parseSshConnection('::ffff:10.77.0.2 1 ::FFFF:10.77.0.1 22')).toMatchObject({
      family: 'ipv4',
      clientIp: '10.77.0.2',
      serverIp: '10.77.0.1',
    })
    expect(parseSshConnection('2001:DB8:77:0::2 5 2001:db8:77::1 22')).toMatchObject({
      family: 'ipv6',
      clientIp: '2001:db8:77::2',
    })
    expect(parseSshConnection('fe80::2%eth0 5 fe80::1%eth0 22')).toMatchObject({family: 'ipv6', clientIp: 'fe80::2'})
  })

  it.each([
    'nonsense',
    '10.0.0.2 5000 10.0.0.1',
    '10.0.0.2 5000 10.0.0.1 22 extra',
    '10.0.0.2 5000 10.0.0.1 70000',
    '10.0.0.2 x 10.0.0.1 22',
    '10.0.0.256 5000 10.0.0.1 22',
    '10.0.0.2 5000 2001:db8::1 22',
    '10.0.0.2/24 5000 10.0.0.1 22',
    '$(reboot) 1 2 3',
  ])('refuses a malformed SSH_CONNECTION %j with a message that says how to proceed', (value) => {
    expect(() => parseSshConnection(value)).toThrow(AbortError)
    try {
      parseSshConnection(value)
    } catch (error) {
      expect((error as AbortError).message).toContain(JSON.stringify(value))
      expect((error as AbortError).hint).toMatch(/--ssh-client/)
    }
  })

  it('reads --ssh-client ADDR[:PORT] and refuses anything else', () => {
    expect(parseSshClient('10.0.0.5')).toMatchObject({clientIp: '10.0.0.5', serverPort: 22, family: 'ipv4'})
    expect(parseSshClient('10.0.0.5:2222')).toMatchObject({clientIp: '10.0.0.5', serverPort: 2222})
    expect(parseSshClient('2001:db8::5')).toMatchObject({clientIp: '2001:db8::5', serverPort: 22, family: 'ipv6'})
    expect(parseSshClient('[2001:db8::5]:2222')).toMatchObject({clientIp: '2001:db8::5', serverPort: 2222})
    expect(parseSshClient('::ffff:10.0.0.5')).toMatchObject({clientIp: '10.0.0.5', family: 'ipv4'})
    for (const bad of ['', 'host.example', '10.0.0.5:0', '10.0.0.5:99999', '[2001:db8::5]:x', '2001:db8::5:22:x'])
      expect(() => parseSshClient(bad), bad).toThrow(AbortError)
  })

  it('prefers --ssh-client, then SSH_CONNECTION; empty means no session and stops the search', async () => {
    const env = {SSH_CONNECTION: '203.0.113.7 51234 198.51.100.1 22'}
    expect((await findSshSession({flag: '10.0.0.5', env}))?.source).toBe('--ssh-client')
    expect((await findSshSession({env}))?.source).toBe('SSH_CONNECTION')
    expect(await findSshSession({env: {SSH_CONNECTION: ''}})).toBeUndefined()
    expect(await findSshSession({env: {}, ancestors: false})).toBeUndefined()
    await expect(findSshSession({env: {SSH_CONNECTION: 'garbage'}})).rejects.toThrow(AbortError)
  })
})

describe('without a session (watch): the last path to SSH', () => {
  const lastPath = (m: DesiredModel, h: HostSpec = {}, port = 22) => evaluateLastPath(planFrom(m, h), dump(h), port)

  it('tries a neighbour on each of the host’s own networks and a client behind each default route, both families', () => {
    const r = lastPath(model())
    expect(r.probes.map((p) => `${p.clientIp} → ${p.serverIp}`)).toEqual([
      '198.51.100.2 → 198.51.100.1',
      '192.168.50.2 → 192.168.50.1',
      '203.0.113.77 → 198.51.100.1',
      '2001:db8:77::2 → 2001:db8:77::1',
      '2001:db8:ffff::77 → 2001:db8:77::1',
    ])
    expect(r.probes.every((p) => p.before && p.after)).toBe(true)
    expect(r.lost).toBe(false)
  })

  it('keeps SSH with input_policy = drop', () => {
    expect(lastPath(fw({inputPolicy: 'drop'})).lost).toBe(false)
  })

  it('finds the last path gone when every input is dropped (IPv4), IPv6 aside', () => {
    const r = lastPath(model({rules: [rule('all', {chain: 'input', action: 'drop'})]}))
    // IPv6 stays open (dockwall writes no ip6tables yet): a path is left.
    expect(r.lost).toBe(false)
    const v4only = evaluateLastPath(
      planFrom(model({rules: [rule('all', {chain: 'input', action: 'drop'})]})),
      {...dump(), families: dump().families.filter((f) => f.family === 'ipv4')},
      22,
    )
    expect(v4only.lost).toBe(true)
    expect(v4only.probes.map((p) => p.result.summary)).toEqual(
      Array(3).fill(expect.stringMatching(/dropped by host iptables filter -A DOCKWALL-INPUT .*dockwall:rule\.all/)),
    )
  })

  it('is content with one path left: SSH only from the LAN', () => {
    const m = model({
      rules: [
        rule('lan', {
          chain: 'input',
          from: [cidr('198.51.100.0/24')],
          proto: 'tcp',
          ports: [{from: 22, to: 22}],
          priority: 10,
        }),
        rule('rest', {chain: 'input', proto: 'tcp', ports: [{from: 22, to: 22}], action: 'drop', priority: 20}),
      ],
    })
    const r = evaluateLastPath(
      planFrom(m),
      {...dump(), families: dump().families.filter((f) => f.family === 'ipv4')},
      22,
    )
    expect(r.probes.filter((p) => p.after).map((p) => p.clientIp)).toEqual(['198.51.100.2'])
    expect(r.lost).toBe(false)
  })

  it('cannot lose what was not there: a host with no SSH path before the plan', () => {
    const h: HostSpec = {nft: dockerSave({input: 'DROP'})}
    const r = evaluateLastPath(
      planFrom(model({rules: [rule('all', {chain: 'input', action: 'drop'})]}), h),
      {
        ...dump(h),
        families: dump(h).families.filter((f) => f.family === 'ipv4'),
      },
      22,
    )
    expect(r.probes.some((p) => p.before)).toBe(false)
    expect(r.lost).toBe(false)
  })

  it('checks the configured port', () => {
    const v4 = (m: DesiredModel, port: number) =>
      evaluateLastPath(planFrom(m), {...dump(), families: dump().families.filter((f) => f.family === 'ipv4')}, port)
        .lost
    const m = fw({inputPolicy: 'drop', sshPort: 2222})
    expect(v4(m, 2222)).toBe(false)
    expect(v4(m, 22)).toBe(true)
  })
})
