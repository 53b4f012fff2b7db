// The sandbox engine for e2e tests, the demo and benchmarks: a real Docker Engine in
// a private network namespace. See sandbox.ts for the API and reap.ts for teardown.
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
export {ExternalClient} from './external-client.js'
export type {ConnectResult, ExternalClientInfo} from './external-client.js'
export type {GcReport} from './reap.js'
export {TEST_IMAGE} from './image.js'
export {INSTALL_COMMAND} from './preconditions.js'
export {SANDBOX_BASE} from './record.js'
