// Plans for the UI tests and the tmux demo. `fixturePlan()` holds every action
// (create, update, replace, delete, no-op, deferred) and every resource type in
// src/plan/types.ts, drift of every kind, and a warning, with addresses and
// iptables lines shaped like the planner's (README: the configuration reference and "How dockwall touches iptables").
import type {Diagnostic} from '../../../src/errors.js'
import {type ResourceType, type RuleLine} from '../../../src/model/resources.js'
import {PLAN_FORMAT_VERSION, type Action, type Change, type Drift, type Plan} from '../../../src/plan/types.js'

export function change(address: string, type: ResourceType, action: Action, rest: Partial<Change> = {}): Change {
  return {address, type, action, before: null, after: null, reasons: [], dependsOn: [], ...rest}
}

export function line(chain: string, spec: string, rest: Partial<RuleLine> = {}): RuleLine {
  return {namespace: 'host', family: 'ipv4', table: 'filter', chain, spec, ...rest}
}

const c = (addr: string) => `-m comment --comment dockwall:${addr}`

export function plan(rest: Partial<Plan> = {}): Plan {
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    dockwallVersion: '0.1.0',
    mode: 'normal',
    changes: [],
    drift: [],
    warnings: [],
    firewall: [],
    prior: {serial: 7, lineage: '3f1c2a9e-5b7d-4c1e-9a2f-8d6e4b0c1a2b'},
    lineage: '3f1c2a9e-5b7d-4c1e-9a2f-8d6e4b0c1a2b',
    actualHash: 'sha256:4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a',
    targets: [],
    ...rest,
  }
}

export const frontendCreate = change('network.frontend', 'network', 'create', {
  after: {
    name: 'frontend',
    driver: 'bridge',
    subnet: '172.18.103.0/24',
    gateway: '172.18.103.1',
    internal: false,
    labels: {team: 'web'},
  },
})

export const backendReplace = change('network.backend', 'network', 'replace', {
  before: {
    name: 'backend',
    driver: 'bridge',
    subnet: '172.19.0.0/24',
    gateway: '172.19.0.1',
    internal: true,
    labels: {},
  },
  after: {
    name: 'backend',
    driver: 'bridge',
    subnet: '172.20.0.0/24',
    gateway: '172.20.0.1',
    internal: true,
    labels: {},
  },
  reasons: ['Docker cannot change the subnet of an existing network'],
  replacePaths: ['subnet', 'gateway'],
  disconnects: ['container.api', 'container.db'],
  ids: {network: '9f3b2c1d0e4a'},
})

export const legacyDelete = change('network.legacy', 'network', 'delete', {
  before: {name: 'legacy', driver: 'bridge', subnet: '172.30.0.0/24', gateway: null, internal: false, labels: {}},
  reasons: ['not in the configuration any more'],
  ids: {network: '1a2b3c4d5e6f'},
})

export const lbAttach = change('container.lb.network.frontend', 'attachment', 'create', {
  after: {container: 'smarthost_loadbalancer', network: 'frontend', ipv4_address: '172.18.103.2', aliases: ['lb']},
  dependsOn: ['network.frontend'],
})

export const apiAttachUpdate = change('container.api.network.backend', 'attachment', 'update', {
  before: {container: 'api', network: 'backend', ipv4_address: '172.19.0.10', aliases: ['api']},
  after: {container: 'api', network: 'backend', ipv4_address: '172.20.0.10', aliases: ['api', 'api-v2']},
  reasons: ['aliases differ', 'the network is replaced'],
  dependsOn: ['network.backend'],
})

export const lbRoute = change('container.lb.route["10.8.0.0/24"]', 'route', 'create', {
  after: {container: 'smarthost_loadbalancer', destination: '10.8.0.0/24', via: '172.18.103.1'},
  dependsOn: ['container.lb.network.frontend'],
})

export const workerRoute = change('container.worker.route["10.9.0.0/16"]', 'route', 'deferred', {
  after: {container: 'worker', destination: '10.9.0.0/16', via: '172.20.0.1'},
  reasons: ['container "worker" does not exist yet'],
})

export const inputChain = change('chain.host.filter.DOCKWALL-INPUT', 'chain', 'create', {
  after: {namespace: 'host', family: 'ipv4', table: 'filter', chain: 'DOCKWALL-INPUT', jump_from: 'INPUT'},
  lines: {before: [], after: [line('INPUT', '-j DOCKWALL-INPUT')]},
})

export const webHttpUpdate = change('rule.web_http', 'rule', 'update', {
  before: {
    chain: 'forward',
    from: ['any'],
    to: ['container.lb'],
    proto: 'tcp',
    ports: [80],
    action: 'accept',
    priority: 100,
  },
  after: {
    chain: 'forward',
    from: ['any'],
    to: ['container.lb'],
    proto: 'tcp',
    ports: [80, 443],
    action: 'accept',
    priority: 100,
  },
  reasons: ['ports differ'],
  dependsOn: ['container.lb.network.frontend'],
  lines: {
    before: [line('DOCKWALL-FORWARD', `-d 172.18.103.2/32 -p tcp -m tcp --dport 80 ${c('rule.web_http')} -j ACCEPT`)],
    after: [
      line(
        'DOCKWALL-FORWARD',
        `-d 172.18.103.2/32 -p tcp -m multiport --dports 80,443 ${c('rule.web_http')} -j ACCEPT`,
      ),
    ],
  },
})

export const backendToLbCreate = change('rule.backend_to_lb', 'rule', 'create', {
  after: {
    chain: 'forward',
    from: ['container.backend'],
    to: ['container.lb'],
    proto: 'tcp',
    ports: [80, 443, 8000, 8100],
    action: 'accept',
    priority: 100,
  },
  dependsOn: ['container.lb.network.frontend', 'network.backend'],
  lines: {
    before: [],
    after: [
      line(
        'DOCKWALL-FORWARD',
        `-s 172.20.0.5/32 -d 172.18.103.2/32 -p tcp -m multiport --dports 80,443,8000:8100 ${c('rule.backend_to_lb')} -j ACCEPT`,
      ),
      line(
        'DOCKWALL-FORWARD',
        `-s 172.18.103.7/32 -d 172.18.103.2/32 -p tcp -m multiport --dports 80,443,8000:8100 ${c('rule.backend_to_lb')} -j ACCEPT`,
      ),
    ],
  },
})

export const oldSshDelete = change('rule.old_ssh', 'rule', 'delete', {
  before: {
    chain: 'input',
    from: ['10.0.0.0/8'],
    to: ['any'],
    proto: 'tcp',
    ports: [22],
    action: 'accept',
    priority: 10,
  },
  reasons: ['not in the configuration any more'],
  lines: {
    before: [line('DOCKWALL-INPUT', `-s 10.0.0.0/8 -p tcp -m tcp --dport 22 ${c('rule.old_ssh')} -j ACCEPT`)],
    after: [],
  },
})

export const dbAdminNoop = change('rule.db_admin', 'rule', 'no-op', {
  before: {
    chain: 'forward',
    from: ['container.api'],
    to: ['container.db'],
    proto: 'tcp',
    ports: [5432],
    action: 'accept',
    priority: 50,
  },
  after: {
    chain: 'forward',
    from: ['container.api'],
    to: ['container.db'],
    proto: 'tcp',
    ports: [5432],
    action: 'accept',
    priority: 50,
  },
  lines: {
    before: [
      line(
        'DOCKWALL-FORWARD',
        `-s 172.20.0.10/32 -d 172.20.0.11/32 -p tcp -m tcp --dport 5432 ${c('rule.db_admin')} -j ACCEPT`,
      ),
    ],
    after: [
      line(
        'DOCKWALL-FORWARD',
        `-s 172.20.0.10/32 -d 172.20.0.11/32 -p tcp -m tcp --dport 5432 ${c('rule.db_admin')} -j ACCEPT`,
      ),
    ],
  },
})

export const wgHttpCreate = change('port_forward.wg_http', 'port_forward', 'create', {
  after: {in_interface: 'wg0', proto: 'tcp', port: 80, to: 'container.lb', to_port: 80},
  dependsOn: ['container.lb.network.frontend'],
  lines: {
    before: [],
    after: [
      line(
        'DOCKWALL-PREROUTING',
        `-i wg0 -p tcp -m tcp --dport 80 ${c('port_forward.wg_http')} -j DNAT --to-destination 172.18.103.2:80`,
        {table: 'nat'},
      ),
      line(
        'DOCKWALL-FORWARD',
        `-d 172.18.103.2/32 -i wg0 -p tcp -m tcp --dport 80 ${c('port_forward.wg_http')} -j ACCEPT`,
      ),
    ],
  },
})

export const workerMetricsDeferred = change('port_forward.worker_metrics', 'port_forward', 'deferred', {
  after: {in_container: 'worker', proto: 'tcp', port: 9100, to_port: 9100},
  reasons: ['container "worker" does not exist yet'],
})

export const backendOutCreate = change('masquerade.backend_out', 'masquerade', 'create', {
  after: {source: 'network.backend', out_interface: 'eth0'},
  dependsOn: ['network.backend'],
  lines: {
    before: [],
    after: [
      line('DOCKWALL-POSTROUTING', `-s 172.20.0.0/24 -o eth0 ${c('masquerade.backend_out')} -j MASQUERADE`, {
        table: 'nat',
      }),
    ],
  },
})

export const firewallUpdate = change('firewall', 'firewall', 'update', {
  before: {forward_policy: 'docker', input_policy: 'accept', ssh_port: 22},
  after: {forward_policy: 'drop', input_policy: 'accept', ssh_port: 22},
  reasons: ['forward_policy differs'],
  lines: {
    before: [line('DOCKWALL-FORWARD', `-m conntrack --ctstate RELATED,ESTABLISHED ${c('firewall')} -j ACCEPT`)],
    after: [
      line('DOCKWALL-FORWARD', `-m conntrack --ctstate RELATED,ESTABLISHED ${c('firewall')} -j ACCEPT`),
      line('DOCKWALL-FORWARD', `${c('firewall')} -j DROP`),
    ],
  },
})

export const lbInsideNoopInContainer = change('port_forward.lb_inside', 'port_forward', 'no-op', {
  after: {in_container: 'lb', proto: 'tcp', port: 8080, to_port: 80},
  lines: {
    before: [
      line(
        'DOCKWALL-PREROUTING',
        `-p tcp -m tcp --dport 8080 ${c('port_forward.lb_inside')} -j REDIRECT --to-ports 80`,
        {namespace: 'container.lb', family: 'ipv4', table: 'nat'},
      ),
    ],
    after: [
      line(
        'DOCKWALL-PREROUTING',
        `-p tcp -m tcp --dport 8080 ${c('port_forward.lb_inside')} -j REDIRECT --to-ports 80`,
        {namespace: 'container.lb', family: 'ipv4', table: 'nat'},
      ),
    ],
  },
})

export const allChanges: Change[] = [
  frontendCreate,
  backendReplace,
  legacyDelete,
  lbAttach,
  apiAttachUpdate,
  lbRoute,
  workerRoute,
  inputChain,
  webHttpUpdate,
  backendToLbCreate,
  oldSshDelete,
  dbAdminNoop,
  wgHttpCreate,
  workerMetricsDeferred,
  lbInsideNoopInContainer,
  backendOutCreate,
  firewallUpdate,
].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))

export const allDrift: Drift[] = [
  {
    address: 'rule.backend_to_lb',
    kind: 'deleted',
    summary: 'its rules are gone from DOCKWALL-FORWARD (a firewall reload?)',
  },
  {address: 'rule.web_http', kind: 'changed', summary: 'the rule in DOCKWALL-FORWARD differs from what dockwall wrote'},
  {
    address: 'chain.host.filter.DOCKWALL-FORWARD',
    kind: 'foreign-rule',
    summary: 'a rule without a dockwall comment was inserted',
    line: line('DOCKWALL-FORWARD', '-s 10.9.9.9/32 -j ACCEPT'),
  },
  {
    address: 'chain.host.filter.DOCKWALL-INPUT',
    kind: 'jump-missing',
    summary: 'INPUT no longer jumps to DOCKWALL-INPUT',
  },
  {address: 'container.api.network.backend', kind: 'lost-static-ip', summary: 'has 172.19.0.23 instead of 172.19.0.10'},
]

export const workerWarning: Diagnostic = {
  severity: 'warning',
  summary: 'Container "worker" does not exist yet',
  detail: 'Its changes are deferred until it appears. Run `dockwall watch` to apply them then.',
  at: {file: 'main.hcl', line: 40, column: 1},
  address: 'container.worker',
}

/** Every action, every resource type, all drift kinds, one warning. */
export function fixturePlan(rest: Partial<Plan> = {}): Plan {
  return plan({
    changes: allChanges,
    drift: allDrift,
    warnings: [workerWarning],
    firewall: [
      {
        namespace: 'host',
        family: 'ipv4',
        backend: 'nft',
        table: 'filter',
        input: '*filter\n:DOCKWALL-FORWARD - [0:0]\n-A DOCKWALL-FORWARD -j ACCEPT\nCOMMIT\n',
        addresses: ['firewall', 'rule.web_http'],
      },
    ],
    ...rest,
  })
}

/** A plan with nothing to do: only no-ops. */
export function noChangesPlan(): Plan {
  return plan({changes: [dbAdminNoop, lbInsideNoopInContainer]})
}

/** Small plan matching the summary sentence in the issue: 3 to add, 1 to change, 2 to destroy. */
export function smallPlan(): Plan {
  return plan({
    changes: [frontendCreate, lbAttach, webHttpUpdate, oldSshDelete, backendOutCreate, legacyDelete].sort((a, b) =>
      a.address < b.address ? -1 : 1,
    ),
  })
}
