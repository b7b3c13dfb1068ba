import { exitOnEarlyCtrlC } from './early-interrupt';

// First: Ctrl-C while the rest loads exits 130 with a message rather than by the signal.
exitOnEarlyCtrlC();
const { exitWithParentWhenAsked } = await import('./sweep/trial-process');
const { run } = await import('./cli');
exitWithParentWhenAsked();
process.exitCode = await run(process.argv.slice(2));
