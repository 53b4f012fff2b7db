import {describe, expect, it} from 'vitest'

import {renderPlan, summarizePlan} from '../../../src/ui/index.js'
import {renderPlanText} from '../../../src/ui/plan-text.js'
import {
  backendReplace,
  change,
  frontendCreate,
  line,
  dbAdminNoop,
  firewallUpdate,
  fixturePlan,
  inputChain,
  noChangesPlan,
  plan,
  smallPlan,
  workerMetricsDeferred,
  workerRoute,
} from './fixtures.js'
import {hasAnsi} from './helpers.js'
import type {Change} from '../../../src/plan/types.js'

/** The block of one change, from its `# address` line to its closing brace. */
function block(text: string, address: string): string {
  const lines = text.split('\n')
  const start = lines.findIndex((l) => l.startsWith(`  # ${address} `))
  if (start < 0) throw new Error(`no block for ${address}`)
  const end = lines.findIndex((l, i) => i > start && (l === '    }' || (l.endsWith(' {}') && !l.startsWith('      '))))
  return lines.slice(start, end + 1).join('\n')
}

describe('summarizePlan', () => {
  it('counts a replace as one add and one destroy, deferred apart, no-ops nowhere', () => {
    expect(summarizePlan(fixturePlan())).toEqual({
      import: 0,
      add: 7,
      change: 3,
      destroy: 3,
      replace: 1,
      deferred: 2,
      unwritable: 0,
      drift: 5,
      // the DOCKWALL-INPUT chain: dockwall's own chain, counted apart from what the configuration declares
      implied: {add: 1, change: 0, destroy: 0, chains: 1, firewall: false},
    })
    expect(summarizePlan(smallPlan())).toEqual({
      import: 0,
      add: 3,
      change: 1,
      destroy: 2,
      replace: 0,
      deferred: 0,
      unwritable: 0,
      drift: 0,
      implied: {add: 0, change: 0, destroy: 0, chains: 0, firewall: false},
    })
    expect(summarizePlan(noChangesPlan())).toEqual({
      import: 0,
      add: 0,
      change: 0,
      destroy: 0,
      replace: 0,
      deferred: 0,
      unwritable: 0,
      drift: 0,
      implied: {add: 0, change: 0, destroy: 0, chains: 0, firewall: false},
    })
  })
})

describe('renderPlanText', () => {
  it('prints a small plan in Terraform layout', () => {
    expect(renderPlanText(smallPlan(), {color: false})).toMatchInlineSnapshot(`
      "dockwall used the refreshed host state to create the following execution plan.
      Resource actions are indicated with the following symbols:
        + create
        ~ update in-place
        - destroy

      dockwall will perform the following actions:

        # network.frontend will be created
        + network "frontend" {
            + driver   = "bridge"
            + gateway  = "172.18.103.1"
            + internal = false
            + labels   = { team = "web" }
            + name     = "frontend"
            + subnet   = "172.18.103.0/24"
          }

        # network.legacy will be destroyed
        # (not in the configuration any more)
        - network "legacy" {
            - driver   = "bridge" -> null
            - internal = false -> null
            - labels   = {} -> null
            - name     = "legacy" -> null
            - subnet   = "172.30.0.0/24" -> null
          }

        # container.lb.network.frontend will be created
        + attachment "container.lb.network.frontend" {
            + aliases      = ["lb"]
            + container    = "smarthost_loadbalancer"
            + ipv4_address = "172.18.103.2"
            + network      = "frontend"
          }

        # rule.old_ssh will be destroyed
        # (not in the configuration any more)
        - rule "old_ssh" {
            - action   = "accept" -> null
            - chain    = "input" -> null
            - from     = ["10.0.0.0/8"] -> null
            - ports    = [22] -> null
            - priority = 10 -> null
            - proto    = "tcp" -> null
            - to       = ["any"] -> null

              # iptables: host, filter table
            - -A DOCKWALL-INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -m comment --comment dockwall:rule.old_ssh -j ACCEPT
          }

        # rule.web_http will be updated in-place
        # (ports differ)
        ~ rule "web_http" {
            ~ ports = [80] -> [80, 443]
              # (6 unchanged attributes hidden)

              # iptables: host, filter table
            - -A DOCKWALL-FORWARD -d 172.18.103.2/32 -p tcp -m tcp --dport 80 -m comment --comment dockwall:rule.web_http -j ACCEPT
            + -A DOCKWALL-FORWARD -d 172.18.103.2/32 -p tcp -m multiport --dports 80,443 -m comment --comment dockwall:rule.web_http -j ACCEPT
          }

        # masquerade.backend_out will be created
        + masquerade "backend_out" {
            + out_interface = "eth0"
            + source        = "network.backend"

              # iptables: host, nat table
            + -A DOCKWALL-POSTROUTING -s 172.20.0.0/24 -o eth0 -m comment --comment dockwall:masquerade.backend_out -j MASQUERADE
          }

      Plan: 3 to add, 1 to change, 2 to destroy.
      "
    `)
  })

  it('prints drift first, in its own section, then a rule', () => {
    const text = renderPlanText(fixturePlan(), {color: false, width: 60})
    expect(text.slice(0, text.indexOf('dockwall used the refreshed'))).toMatchInlineSnapshot(`
      "Note: Objects have changed outside of dockwall

      dockwall detected the following changes made outside of dockwall since the last
      "dockwall apply":

        # rule.backend_to_lb has been deleted
        - its rules are gone from DOCKWALL-FORWARD (a firewall reload?)

        # rule.web_http has been changed
        ~ the rule in DOCKWALL-FORWARD differs from what dockwall wrote

        # chain.host.filter.DOCKWALL-FORWARD has a rule dockwall did not write
        + a rule without a dockwall comment was inserted
          # iptables: host, filter table
          -A DOCKWALL-FORWARD -s 10.9.9.9/32 -j ACCEPT

        # chain.host.filter.DOCKWALL-INPUT lost its jump rule
        - INPUT no longer jumps to DOCKWALL-INPUT

        # container.api.network.backend lost its static address
        ~ has 172.19.0.23 instead of 172.19.0.10

      Unless you have changed the configuration to match, the plan below includes the
      actions that undo these changes.

      ────────────────────────────────────────────────────────────

      "
    `)
  })

  it('explains only the symbols the plan uses', () => {
    const text = renderPlanText(fixturePlan(), {color: false})
    const legend = text.slice(text.indexOf('Resource actions'), text.indexOf('dockwall will perform'))
    expect(legend).toMatchInlineSnapshot(`
      "Resource actions are indicated with the following symbols:
        + create
        ~ update in-place
      -/+ destroy and then create replacement
        - destroy
        … deferred, not applied now (why is said under it)

      "
    `)
    expect(renderPlanText(smallPlan(), {color: false})).not.toContain('-/+')
  })

  it('shows a replace with its reason and what it disconnects', () => {
    expect(block(renderPlanText(plan({changes: [backendReplace]}), {color: false}), 'network.backend'))
      .toMatchInlineSnapshot(`
        "  # network.backend must be replaced
          # (Docker cannot change the subnet of an existing network)
        -/+ network "backend" {
              ~ gateway = "172.19.0.1" -> "172.20.0.1" # forces replacement
              ~ subnet  = "172.19.0.0/24" -> "172.20.0.0/24" # forces replacement
                # (4 unchanged attributes hidden)

                # disconnects container.api, container.db (reconnected afterwards)
            }"
      `)
  })

  it('shows deferred changes with their reason and counts them apart', () => {
    const text = renderPlanText(plan({changes: [workerRoute, workerMetricsDeferred]}), {color: false})
    expect(block(text, 'port_forward.worker_metrics')).toMatchInlineSnapshot(`
      "  # port_forward.worker_metrics is deferred
        # (container "worker" does not exist yet)
        … port_forward "worker_metrics" {
              in_container = "worker"
              port         = 9100
              proto        = "tcp"
              to_port      = 9100
          }"
    `)
    expect(text.trimEnd().split('\n').slice(-2)).toEqual([
      'Plan: 0 to add, 0 to change, 0 to destroy.',
      '2 changes deferred until their containers exist.',
    ])
  })

  it('shows the iptables lines of rule-like resources as a line diff', () => {
    const text = renderPlanText(plan({changes: [firewallUpdate, inputChain]}), {color: false})
    expect(block(text, 'firewall')).toMatchInlineSnapshot(`
      "  # firewall will be updated in-place
        # (forward_policy differs)
        ~ firewall {
            ~ forward_policy = "docker" -> "drop"
              # (2 unchanged attributes hidden)

              # iptables: host, filter table
              -A DOCKWALL-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment dockwall:firewall -j ACCEPT
            + -A DOCKWALL-FORWARD -m comment --comment dockwall:firewall -j DROP
          }"
    `)
    expect(block(text, 'chain.host.filter.DOCKWALL-INPUT')).toContain('      + -A INPUT -j DOCKWALL-INPUT')
  })

  it('ends with warnings then the summary sentence', () => {
    const text = renderPlanText(fixturePlan(), {color: false})
    expect(text.slice(text.indexOf('╷'))).toMatchInlineSnapshot(`
      "╷
      │ Warning: Container "worker" does not exist yet
      │
      │   on main.hcl line 40, in container.worker:
      │
      │ Its changes are deferred until it appears. Run \`dockwall watch\` to apply them then.
      ╵

      Plan: 7 to add, 3 to change, 3 to destroy.
      Implied, not declared: 1 to add, 0 to change, 0 to destroy (1 dockwall chain).
      2 changes deferred until their containers exist.
      "
    `)
  })

  it('does not list no-op changes', () => {
    const text = renderPlanText(fixturePlan(), {color: false})
    expect(text).not.toContain('rule.db_admin')
    expect(text).not.toContain('port_forward.lb_inside')
  })

  it('says there are no changes when nothing changes', () => {
    expect(renderPlanText(noChangesPlan(), {color: false})).toMatchInlineSnapshot(`
      "No changes. The host matches the configuration.

      dockwall has compared the host against the configuration and found no
      differences, so no changes are needed.
      "
    `)
    expect(renderPlanText(plan({changes: [dbAdminNoop]}), {color: false}).split('\n')[0]).toBe(
      'No changes. The host matches the configuration.',
    )
  })

  it('says a refresh-only plan records drift without undoing it', () => {
    const text = renderPlanText(fixturePlan({mode: 'refresh-only', changes: []}), {color: false})
    expect(text).toContain('This is a refresh-only plan, so dockwall will not undo these changes.')
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      'Refresh-only plan: 5 objects changed outside dockwall will be recorded in the state.',
    )
  })

  it('notes targeting', () => {
    const text = renderPlanText({...smallPlan(), targets: ['rule.web_http']}, {color: false})
    expect(text).toContain('Note: the plan is limited to rule.web_http and what they depend on.')
  })

  it('uses colour codes only when asked', () => {
    const plainText = renderPlanText(fixturePlan(), {color: false})
    expect(hasAnsi(plainText)).toBe(false)
    const colored = renderPlanText(fixturePlan(), {color: true})
    // Terraform's colours: green create, yellow update, red destroy, cyan deferred
    expect(colored).toContain('\u001B[32m  +\u001B[0m network "frontend"')
    expect(colored).toContain('\u001B[33m  ~\u001B[0m rule "web_http"')
    expect(colored).toContain('\u001B[31m  -\u001B[0m network "legacy"')
    expect(colored).toContain('\u001B[31m-\u001B[0m/\u001B[32m+\u001B[0m network "backend"')
    expect(colored).toContain('\u001B[36m  …\u001B[0m port_forward "worker_metrics"')
    expect(colored).toContain('\u001B[1mPlan:\u001B[0m 7 to add, 3 to change, 3 to destroy.')
    // Without the codes it is the same text
    // eslint-disable-next-line no-control-regex
    expect(colored.replace(/\u001B\[[0-9;]*m/g, '')).toBe(plainText)
  })

  it('is what renderPlan prints by default', () => {
    expect(renderPlan(smallPlan())).toBe(renderPlanText(smallPlan(), {color: false}))
    expect(hasAnsi(renderPlan(smallPlan(), {color: true}))).toBe(true)
  })
})

describe('renderPlanText on large plans', () => {
  const rule = (i: number, extra: Partial<Change> = {}): Change =>
    change(`rule.r${String(i).padStart(5, '0')}`, 'rule', 'create', {
      after: {chain: 'forward', from: [`10.0.${i >> 8}.${i & 255}`], to: ['172.20.0.0/16'], ports: [80]},
      lines: {before: [], after: [line('DOCKWALL-FORWARD', `-s 10.0.0.${i & 255}/32 -j ACCEPT`)]},
      ...extra,
    })

  it('folds a long run of alike changes into one line after the first three', () => {
    const changes = [...Array.from({length: 20_000}, (_, i) => rule(i)), frontendCreate]
    const text = renderPlanText(plan({changes}), {color: false})
    expect(text).toContain('# rule.r00002 will be created')
    expect(text).not.toContain('# rule.r00003 will be created')
    expect(text).toContain(
      '    + 19,997 more rules like these will be created (rule.r00003 … rule.r19999; --verbose shows each)',
    )
    // The network, of another shape, is still shown; the summary still counts everything.
    expect(text).toContain('# network.frontend will be created')
    expect(text).toContain('Plan: 20001 to add, 0 to change, 0 to destroy.')
    expect(text.split('\n').length).toBeLessThan(120)
  })

  it('shows a change of another shape among them, and every change with verbose', () => {
    const odd = rule(7, {action: 'update', before: {chain: 'forward'}})
    const changes = Array.from({length: 40}, (_, i) => (i === 7 ? odd : rule(i)))
    const folded = renderPlanText(plan({changes}), {color: false})
    expect(folded).toContain('# rule.r00007 will be updated in-place')
    expect(folded).toContain('+ 36 more rules like these will be created (rule.r00003 … rule.r00039')
    const verbose = renderPlanText(plan({changes}), {color: false, verbose: true})
    expect(verbose).toContain('# rule.r00039 will be created')
    expect(verbose).not.toContain('more rules like these')
  })

  it('never folds a short run', () => {
    const changes = Array.from({length: 10}, (_, i) => rule(i))
    const text = renderPlanText(plan({changes}), {color: false})
    expect(text).toContain('# rule.r00009 will be created')
    expect(text).not.toContain('like these')
  })
})

describe('the record of a replace (issue 14)', () => {
  it('folds unchanged attributes of a replace or an update, and marks what forces the replacement', () => {
    const text = renderPlanText(plan({changes: [backendReplace]}), {color: false})
    const b = block(text, 'network.backend')
    expect(b).toContain('~ subnet  = "172.19.0.0/24" -> "172.20.0.0/24" # forces replacement')
    expect(b).toContain('~ gateway = "172.19.0.1" -> "172.20.0.1" # forces replacement')
    expect(b).toContain('# (4 unchanged attributes hidden)')
    expect(b).not.toContain('driver')
  })

  it('marks an attribute that appears or goes away when it forces the replacement', () => {
    const labelled = {
      ...backendReplace,
      after: {...backendReplace.after, subnet: '172.19.0.0/24', gateway: '172.19.0.1', ipv6_subnet: 'fd00:19::/64'},
      before: {...backendReplace.before, internal: null},
      replacePaths: ['ipv6_subnet', 'internal'],
    }
    const b = block(renderPlanText(plan({changes: [labelled]}), {color: false}), 'network.backend')
    expect(b).toContain('+ ipv6_subnet = "fd00:19::/64" # forces replacement')
    expect(b).toContain('+ internal    = true # forces replacement')
    expect(b).toContain('# (5 unchanged attributes hidden)')
  })

  it('shows every attribute of a create', () => {
    const b = block(renderPlanText(plan({changes: [frontendCreate]}), {color: false}), 'network.frontend')
    expect(b).toContain('+ driver')
    expect(b).not.toContain('hidden')
  })
})
