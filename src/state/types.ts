// The state: dockwall's record of what it owns on this host. In memory the field
// names are camelCase like the rest of the code base; on disk they are snake_case
// (Terraform's habit). The translation lives in one place, src/state/format.ts, and
// the file format is documented in docs/STATE-FORMAT.md.
import type {ResourceType, StateResource} from '../model/resources.js'

/** The format this dockwall writes. Older formats are upgraded on read; newer ones are refused. */
export const STATE_VERSION = 1

/**
 * Every resource type the state may hold, as runtime data for validation.
 * The assertion below breaks the type check when src/plan adds a type that is
 * missing here (src/model/resources.ts), so a new type cannot silently make state files unreadable.
 */
export const RESOURCE_TYPES = [
  'network',
  'attachment',
  'route',
  'rule',
  'port_forward',
  'masquerade',
  'firewall',
  'chain',
] as const satisfies readonly ResourceType[]
type MissingResourceType = Exclude<ResourceType, (typeof RESOURCE_TYPES)[number]>
const _allResourceTypesListed: [MissingResourceType] extends [never] ? true : never = true
void _allResourceTypesListed

export type {StateResource}

export interface State {
  version: typeof STATE_VERSION
  /** Bumped by writeState each time the content changes; 0 for a state never written. */
  serial: number
  /** A UUID set when the state is first created and never changed: two files with different lineages are unrelated. */
  lineage: string
  /** The dockwall version that last wrote the file (`dockwall_version` on disk). */
  dockwallVersion: string
  /**
   * Sorted by address (code-unit order); addresses are unique. In states returned by
   * readState and writeState the array and each resource are deeply frozen (writeState's
   * carry their encoded text): change them with putResource and removeResources.
   */
  resources: StateResource[]
}
