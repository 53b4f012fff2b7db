// The block structure of the language: which block types exist, which take a label,
// and which blocks nest inside which. The JSON form needs this to tell a nested block
// from an attribute (HCL syntax says it; JSON does not), the loader to check labels.

export type LabelKind = 'labeled' | 'unlabeled'

export const TOP_LEVEL_BLOCKS = {
  dockwall: 'unlabeled',
  variable: 'labeled',
  network: 'labeled',
  container: 'labeled',
  rule: 'labeled',
  port_forward: 'labeled',
  masquerade: 'labeled',
  assert: 'labeled',
  firewall: 'unlabeled',
  import: 'unlabeled',
} as const satisfies Record<string, LabelKind>

export type TopLevelBlock = keyof typeof TOP_LEVEL_BLOCKS

/** Blocks inside blocks: `container "x" { network "y" {…}  route {…} }`. */
export const NESTED_BLOCKS: Readonly<Record<string, Readonly<Record<string, LabelKind>>>> = {
  container: {network: 'labeled', route: 'unlabeled'},
}

export function isTopLevelBlock(name: string): name is TopLevelBlock {
  return Object.hasOwn(TOP_LEVEL_BLOCKS, name)
}

/** Unlabeled blocks that may appear at most once in the whole configuration. */
export const SINGLETON_BLOCKS: ReadonlySet<string> = new Set(['dockwall', 'firewall'])
