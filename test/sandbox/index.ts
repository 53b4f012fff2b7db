// The sandbox engine for e2e tests, the demo and benchmarks: a real Docker Engine in a
// private network namespace. The machinery is src/sandbox (`dockwall test --rehearse`
// runs on it too); the tests import it from here.
export * from '../../src/sandbox/index.js'
