// A real Docker Engine in a private network namespace: what the e2e tests, the demo and
// the benchmarks run against, and where `dockwall test --rehearse` proves assertions with
// real packets. See sandbox.ts for the API, reap.ts for teardown, README.md for the layout.
export {Sandbox} from './sandbox.js'
export type {
  Backend,
  EngineName,
  IptablesOptions,
  RestartPolicy,
  RunContainerOptions,
  SandboxContainer,
  SandboxOptions,
  SandboxTimings,
} from './sandbox.js'
export type {ExecResult} from './docker-exec.js'
export {defaultEngine} from './engine.js'
export {ExternalClient, inSubnet} from './external-client.js'
export type {ClientPlacement, ConnectResult, ExternalClientInfo} from './external-client.js'
export {findProcesses} from './reap.js'
export type {GcReport} from './reap.js'
export {mountsUnder} from './procfs.js'
export {TEST_IMAGE} from './image.js'
export {INSTALL_COMMAND} from './preconditions.js'
export {NETNS_DIR, SANDBOX_BASE} from './record.js'
