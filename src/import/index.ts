// Public entry of the import building blocks. All pure: they read what refresh found
// (or a networks.json text) and return text and typed lists; the `import` command and
// the planner do the Docker and iptables work.
export {
  attribute,
  block,
  type HclAttribute,
  type HclBlock,
  type HclDocument,
  type HclItem,
  type HclObject,
  HclRef,
  type HclValue,
  quoteHcl,
  ref,
  writeHcl,
} from './hcl-writer.js'
export {type ConvertOptions, type ConvertProblem, type ConvertResult, convertNetworksJson} from './networks-json.js'
export {
  type AttachmentImportId,
  formatImportId,
  IMPLIED_TABLE,
  type ImportId,
  type ImportKind,
  type ImportTable,
  importKindOf,
  locateRule,
  type LocateResult,
  type NetworkImportId,
  type ParseResult,
  parseImportId,
  type RuleImportId,
  type RuleSelector,
} from './id.js'
export {
  type ConvertContext,
  type ConvertedMasquerade,
  type ConvertedPortForward,
  type ConvertedRule,
  type CoveredRule,
  convertRule,
  type OwnedRule,
  type RuleConversion,
  type UnsupportedRule,
} from './rule-convert.js'
export {bridgeOf, type DockerHints, dockerHints, ownerOf} from './owners.js'
export {
  containerIps,
  findReference,
  type KnownContainer,
  type KnownNetwork,
  type Reference,
  type ReferenceIndex,
} from './references.js'
export {
  type CoveredEntry,
  type GenerateOptions,
  type GenerateResult,
  generateConfig,
  type ImportEntry,
  type LeftRule,
} from './generate.js'
export {addressPart, LabelAllocator, sanitizeLabel} from './labels.js'
