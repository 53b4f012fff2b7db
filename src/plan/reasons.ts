// Why a change is planned, when the answer is one of a fixed set: a closed enum, with
// the words people read derived from it here and nowhere else. Reasons that carry
// values (an attribute's old and new value, a container's name) are written where
// they are found. Reasons are for people: apply never reads them.
import type {PlanMode} from './types.js'

export type ReasonCode =
  /** The resource left the configuration. */
  | 'not-configured'
  /** `dockwall destroy` (or `plan --destroy`) removes everything dockwall manages. */
  | 'destroying'
  /** The object is gone from the host already: only its state entry goes. */
  | 'already-gone'
  /** The container is no longer connected: only the state entry goes. */
  | 'already-disconnected'
  /** A rule that renders no lines and has none on the host: only the state entry goes. */
  | 'nothing-to-write'
  /** A rule still configured that renders no lines any more (its containers lost their addresses). */
  | 'renders-nothing'
  /** A deferred rule's lines come off the host until it can be rendered again. */
  | 'removed-until-then'
  /** An adopted network leaving management: forgotten, not removed. */
  | 'release-network'
  /** An adopted attachment leaving management: forgotten, not disconnected. */
  | 'release-attachment'
  /** An attachment found as declared: adopted. */
  | 'adopt-attachment'

const TEXT: Record<ReasonCode, string> = {
  'not-configured': 'not in the configuration',
  destroying: 'dockwall destroy removes it',
  'already-gone': 'already gone; only the state entry is removed',
  'already-disconnected': 'already disconnected; only the state entry is removed',
  'nothing-to-write': 'nothing to write; only the state entry is removed',
  'renders-nothing': 'renders no iptables lines any more',
  'removed-until-then': 'its current iptables lines are removed until then',
  'release-network':
    'dockwall adopted this network and did not create it: it is released from the state, not removed from Docker',
  'release-attachment': 'dockwall did not make this connection: it is released, not disconnected',
  'adopt-attachment': 'already connected as declared; dockwall adopts it',
}

export function reasonText(code: ReasonCode): string {
  return TEXT[code]
}

/** Why something dockwall manages and the plan does not want is removed: destroy wants nothing. */
export function removalReason(mode: PlanMode): ReasonCode {
  return mode === 'destroy' ? 'destroying' : 'not-configured'
}
