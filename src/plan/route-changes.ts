// Planning routes inside containers: added, changed (another gateway) or deleted with
// `ip route` in the container's namespace; deferred while the container does not run.
import type {Attributes} from '../model/resources.js'
import type {RouteSpec} from '../model/types.js'
import {emptyPlan, type DockerPlanContext, type PartialPlan} from './docker-changes.js'
import {reasonText} from './reasons.js'
import type {Change} from './types.js'

export function routeAttrs(r: RouteSpec, containerName: string): Attributes {
  return {container: containerName, destination: r.destination, via: r.via}
}

/**
 * `attachmentChanges`: the plan's attachment changes. Docker removes the routes of an interface
 * it disconnects, so a route in a container with a reconnected attachment is written again
 * after it (`ip route replace`: whether or not this route went with it).
 */
export function planRoutes(ctx: DockerPlanContext, attachmentChanges: readonly Change[]): PartialPlan {
  const out = emptyPlan()
  const desired = new Set<string>()
  const reconnected = new Set(attachmentChanges.filter((c) => c.action === 'replace').map((c) => c.address))
  for (const spec of ctx.model?.containers ?? []) {
    const ns = `container.${spec.label}` as const
    const rc = ctx.res.containers.get(spec.label)
    const deps = spec.attachments.map((a) => a.address)
    const lost = deps.filter((a) => reconnected.has(a))
    for (const r of spec.routes) {
      desired.add(r.address)
      const after = routeAttrs(r, spec.name)
      const base = {address: r.address, type: 'route' as const, dependsOn: deps}
      const prior = ctx.prior.get(r.address)
      const actualNs = ctx.namespaces.get(ns)
      if (!rc?.docker || !rc.running || !actualNs?.routes) {
        const why = !rc?.docker
          ? `container "${spec.name}" does not exist yet`
          : !rc.running
            ? `container "${spec.name}" is not running`
            : `cannot read routes in container "${spec.name}": ${ctx.unreadable.get(ns) ?? 'unknown reason'}`
        out.changes.push({...base, action: 'deferred', before: null, after, reasons: [why]})
        continue
      }
      const have = actualNs.routes.find((x) => x.destination === r.destination)
      if (!have) {
        if (prior)
          out.drift.push({
            address: r.address,
            kind: 'deleted',
            summary: `route to ${r.destination} is missing in container "${spec.name}" (restarted?)`,
          })
        out.changes.push({...base, action: 'create', before: null, after, reasons: [], ids: {container: rc.docker.id}})
      } else if (have.via !== r.via) {
        out.changes.push({
          ...base,
          action: 'update',
          before: {container: spec.name, destination: have.destination, via: have.via ?? null},
          after,
          reasons: [`via: ${have.via ?? 'direct'} → ${r.via}`],
          ids: {container: rc.docker.id},
        })
      } else if (lost.length > 0) {
        out.changes.push({
          ...base,
          action: 'update',
          before: after,
          after,
          reasons: [
            `written again after ${lost.join(', ')} is reconnected (Docker removes an interface's routes with it)`,
          ],
          ids: {container: rc.docker.id},
        })
      } else {
        out.changes.push({...base, action: 'no-op', before: after, after, reasons: [], ids: {container: rc.docker.id}})
      }
    }
  }
  for (const prior of ctx.prior.values()) {
    if (prior.type !== 'route' || desired.has(prior.address)) continue
    const label = prior.address.split('.')[1] ?? ''
    const actualNs = ctx.namespaces.get(`container.${label}`)
    const present = actualNs?.routes?.some(
      (x) => x.destination === prior.attributes.destination && x.via === prior.attributes.via,
    )
    const c = ctx.containers.find((x) => x.id === prior.ids.container || x.name === prior.attributes.container)
    // A route goes before the attachment its gateway is reached through.
    const attachments = [...ctx.prior.values()]
      .filter((p) => p.type === 'attachment' && p.address.startsWith(`container.${label}.network.`))
      .map((p) => p.address)
      .sort()
    out.changes.push({
      address: prior.address,
      type: 'route',
      action: 'delete',
      before: prior.attributes,
      after: null,
      reasons: [reasonText(present ? ctx.removal : 'already-gone')],
      dependsOn: attachments,
      ids: c ? {container: c.id} : {},
      ...(present ? {} : {forget: true as const}),
    })
  }
  return out
}
