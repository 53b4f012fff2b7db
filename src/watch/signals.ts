// Signals for the daemon: SIGHUP forces a reconciliation; the first SIGTERM or SIGINT
// stops gracefully (the apply in progress finishes and saves the state, the lock is
// released, exit 0); a second one while stopping gives up at once.

/** The part of `process` signal handling uses (an EventEmitter in tests). */
export interface SignalSource {
  on(event: 'SIGHUP' | 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown
  off(event: 'SIGHUP' | 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown
}

export interface SignalHandlers {
  reconcile(signal: NodeJS.Signals): void
  stop(signal: NodeJS.Signals): void
  /** A second SIGTERM/SIGINT while stopping. */
  force(signal: NodeJS.Signals): void
}

/** Installs the handlers; returns a function that removes them. */
export function handleSignals(source: SignalSource, handlers: SignalHandlers): () => void {
  let stopping = false
  const onHup = (signal: NodeJS.Signals): void => {
    if (!stopping) handlers.reconcile(signal ?? 'SIGHUP')
  }
  const onStop = (signal: NodeJS.Signals): void => {
    if (stopping) return handlers.force(signal)
    stopping = true
    handlers.stop(signal)
  }
  const onTerm = (signal: NodeJS.Signals): void => onStop(signal ?? 'SIGTERM')
  const onInt = (signal: NodeJS.Signals): void => onStop(signal ?? 'SIGINT')
  source.on('SIGHUP', onHup)
  source.on('SIGTERM', onTerm)
  source.on('SIGINT', onInt)
  return () => {
    source.off('SIGHUP', onHup)
    source.off('SIGTERM', onTerm)
    source.off('SIGINT', onInt)
  }
}
