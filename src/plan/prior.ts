// The part of the state file the planner reads. Structural, so the planner does
// not depend on how src/state stores it on disk.
import type {Attributes, ResourceType, RuleLine} from './types.js'

export interface PriorResource {
  address: string
  type: ResourceType
  ids: {[key: string]: string}
  attributes: Attributes
  lines?: RuleLine[]
}

export interface PriorState {
  serial: number
  lineage: string
  resources: PriorResource[]
}

/** How an object came to be in the state: dockwall made it, or found it matching and adopted it. */
export type Origin = 'created' | 'adopted' | 'imported'

export function originOf(r: PriorResource | undefined): Origin | undefined {
  const o = r?.ids.origin
  return o === 'created' || o === 'adopted' || o === 'imported' ? o : undefined
}
