// What a plan may be limited to: --target addresses must name something the
// configuration or the state knows. The planning itself is preparePlan (pipeline.ts).
import {closest} from '../config/suggest.js'
import {AbortError} from '../errors.js'
import type {Session} from './session.js'

/** Every address the configuration or the state knows, for --target validation. */
function knownAddresses(session: Session): string[] {
  const m = session.model
  const out = new Set<string>(['firewall'])
  for (const n of m.networks) out.add(n.address)
  for (const c of m.containers) {
    out.add(c.address)
    for (const a of c.attachments) out.add(a.address)
    for (const r of c.routes) out.add(r.address)
  }
  for (const r of [...m.rules, ...m.portForwards, ...m.masquerades]) out.add(r.address)
  for (const r of session.state?.resources ?? []) out.add(r.address)
  return [...out]
}

export function checkTargets(session: Session, targets: readonly string[]): void {
  const known = knownAddresses(session)
  for (const t of targets) {
    if (known.some((a) => a === t || a.startsWith(`${t}.`) || a.startsWith(`${t}[`))) continue
    const hint = closest(t, known)
    throw new AbortError(
      `--target ${t}: no such resource in the configuration or the state${hint ? ` (did you mean ${hint}?)` : ''}`,
      'list addresses with `dockwall state list`, or check the configuration',
    )
  }
}
