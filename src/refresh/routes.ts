// Reads routes inside a namespace with iproute2's JSON output, one call per family asked for.
import type {Family} from '../model/types.js'
import {run, type NetnsTarget} from '../util/exec.js'
import type {ActualRoute} from './types.js'

interface IpRoute {
  dst?: string
  gateway?: string
  dev?: string
}

/** `ip -j route` prints host routes without a prefix length; dockwall compares CIDRs. */
export function parseIpRouteJson(text: string, family: Family = 'ipv4'): ActualRoute[] {
  const host = family === 'ipv4' ? '/32' : '/128'
  const raw = JSON.parse(text || '[]') as IpRoute[]
  return raw
    .filter((r) => r.dst && r.dst !== 'default')
    .map((r) => {
      const dst = r.dst as string
      const out: ActualRoute = {destination: dst.includes('/') ? dst : `${dst}${host}`, family}
      if (r.gateway) out.via = r.gateway
      if (r.dev) out.dev = r.dev
      return out
    })
    .sort((a, b) => (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0))
}

export async function readRoutes(target: NetnsTarget, families: readonly Family[] = ['ipv4']): Promise<ActualRoute[]> {
  const read = await Promise.all(
    families.map(async (f) => {
      const {stdout} = await run('ip', [f === 'ipv4' ? '-4' : '-6', '-j', 'route', 'show'], {netns: target})
      return parseIpRouteJson(stdout, f)
    }),
  )
  return read.flat()
}
