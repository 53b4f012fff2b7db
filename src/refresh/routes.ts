// Reads IPv4 routes inside a namespace with iproute2's JSON output.
import {run, type NetnsTarget} from '../util/exec.js'
import type {ActualRoute} from './types.js'

interface IpRoute {
  dst?: string
  gateway?: string
  dev?: string
}

/** `ip -j route` prints host routes without a prefix length; dockwall compares CIDRs. */
export function parseIpRouteJson(text: string): ActualRoute[] {
  const raw = JSON.parse(text || '[]') as IpRoute[]
  return raw
    .filter((r) => r.dst && r.dst !== 'default')
    .map((r) => {
      const dst = r.dst as string
      const out: ActualRoute = {destination: dst.includes('/') ? dst : `${dst}/32`}
      if (r.gateway) out.via = r.gateway
      if (r.dev) out.dev = r.dev
      return out
    })
    .sort((a, b) => (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0))
}

export async function readRoutes(target: NetnsTarget): Promise<ActualRoute[]> {
  const {stdout} = await run('ip', ['-4', '-j', 'route', 'show'], {netns: target})
  return parseIpRouteJson(stdout)
}
