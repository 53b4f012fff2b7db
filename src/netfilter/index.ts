// Public entry of the netfilter layer: iptables-save parser and writer, normal form,
// backend detection and the namespace runner.
export * from './types.js'
export {
  IncompatibleTableError,
  InvalidNameError,
  IptablesParseError,
  IptablesResourceError,
  IptablesRestoreError,
} from './errors.js'
export type {RestoreErrorDetails} from './errors.js'
export {quoteArg, tokenize, type Token} from './quote.js'
export {
  detectFamily,
  normalizeRuleSpec,
  parseCounters,
  parseRule,
  parseRuleArgs,
  parseRuleset,
  type ParseOptions,
  type ParsedRuleArgs,
} from './parse.js'
export {
  formatCounters,
  writeRestoreTable,
  writeRule,
  writeRuleArgs,
  writeRuleset,
  writeTable,
  type RestoreOp,
  type WriteOptions,
} from './write.js'
export {
  normalizeAddress,
  normalizePortRange,
  normalizeProtocol,
  normalizeRule,
  ruleKey,
  truncateComment,
  type NormalizeOptions,
} from './normalize.js'
export {
  MAX_CHAIN_NAME,
  MAX_COMMENT_BYTES,
  validateChainName,
  validateComment,
  validateInterfaceName,
  validateTableName,
} from './names.js'
export {
  decideBackend,
  detectBackend,
  legacyTableNames,
  probeBackends,
  summarizeSave,
  systemBackend,
  type BackendChoice,
  type BackendEvidence,
  type BackendState,
  type DetectOptions,
  type ProbeOptions,
} from './backend.js'
export {
  IptablesRunner,
  keepTables,
  splitRestoreInput,
  type Exec,
  type IptablesRunnerOptions,
  type RestoreOptions,
  type RestoreSection,
  type SaveOptions,
} from './runner.js'
