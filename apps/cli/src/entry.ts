// The command, bundled as CommonJS (dist/entry.cjs) and required by main.ts: see main.ts for why.
export { exitWithParentWhenAsked } from './sweep/trial-process';
export { run } from './cli';
