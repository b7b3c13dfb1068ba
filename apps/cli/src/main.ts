import { createRequire } from 'node:module';
import { exitOnEarlyCtrlC } from './early-interrupt';
import type * as Entry from './entry';

// First: Ctrl-C while the rest loads exits 130 with a message rather than by the signal.
exitOnEarlyCtrlC();
// The command and everything it imports load as CommonJS (dist/entry.cjs, required here): tfjs's
// packages are CommonJS, and an ES-module import of them has Node scan each bundle's source for
// its named exports first, which cost about 0.15 s of every start before the arguments were read.
const { exitWithParentWhenAsked, run } = createRequire(import.meta.url)('./entry.cjs') as typeof Entry;
// The require holds the event loop: a Ctrl-C pressed meanwhile is handled here, before the command
// starts (and creates its --out), not after.
await new Promise(setImmediate);
exitWithParentWhenAsked();
process.exitCode = await run(process.argv.slice(2));
