// Public entry of the evaluator behind `dockwall explain`: "can A reach B, and which rule
// decides?" answered from parsed iptables dumps and a small topology. See README.md.
export * from './types.js'
export {
  explain,
  Explainer,
  ExplainInputError,
  RulesNeeded,
  type ExplainOptions,
  type ExplainerOptions,
} from './evaluate.js'
export {isDockerChain, ownerOf} from './owner.js'
export {hostFromDumps, rulesFromSave, type FromDumpsOptions, type HostDump, type NamespaceDump} from './from-dumps.js'
export {
  interfacesFromIpAddr,
  linksFromIpLink,
  routesFromIpRoute,
  segmentsFromLinks,
  socketsFromSs,
  type LinkInfo,
} from './iproute.js'
export {rulesetFromActual, type ActualTableLike} from './from-actual.js'
export {
  EndpointResolver,
  parseEndpoint,
  type Directory,
  type DirectoryContainer,
  type DirectoryNetwork,
  type EndpointSpec,
  type ResolvedFlow,
  type ResolveOptions,
} from './endpoints.js'
export {
  answerQuestion,
  bridgeName,
  directoryFrom,
  type Answer,
  type AnswerVerdict,
  type FlowAnswer,
  type Question,
} from './question.js'
export {plannedHost, type PlannedHost, type PlannedTransaction} from './planned.js'
export {
  brokenByPlan,
  checkAssertions,
  endpointText,
  failingAssertions,
  questionOfAssert,
  questionText,
  type AssertionHost,
  type AssertionOutcome,
  type AssertionResult,
} from './assertions.js'
