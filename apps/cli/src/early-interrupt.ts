// Imports nothing but Node's own modules: main.ts installs this before it loads the rest of the
// command (tfjs, the backends, commander), which takes about a second.

/** The exit code of a run Ctrl-C stopped (output.ts's EXIT.interrupted, which this module cannot import before the rest loads). */
const INTERRUPTED = 130;

/**
 * Handles Ctrl-C from the process's first moment until a command installs its own handler
 * (training's, which writes a checkpoint, or a sweep's): without it a SIGINT while the command
 * loads kills the process by the signal, silently. While no other handler listens, Ctrl-C prints
 * that the run stopped and exits with 130 (the lock of --out is released at exit); once one
 * does, this one leaves Ctrl-C to it.
 *
 * @param write where the message goes (standard error).
 */
export function exitOnEarlyCtrlC(write: (text: string) => void = (text) => process.stderr.write(text)): void {
  let handedOver = false;
  const onInterrupt = () => {
    if (process.listenerCount('SIGINT') > 1) return;
    write(
      handedOver
        ? '\nsdae: interrupted (Ctrl-C).\n'
        : '\nsdae: interrupted (Ctrl-C) before training started: nothing was trained, so there is nothing to resume.\n',
    );
    process.exit(INTERRUPTED);
  };
  process.on('SIGINT', onInterrupt);
  // Registered after this module's own listener, so it sees only a command's.
  process.on('newListener', (event) => {
    if (event === 'SIGINT') handedOver = true;
  });
}
