import { run } from './cli';
import { exitWithParentWhenAsked } from './sweep/trial-process';

exitWithParentWhenAsked();
process.exitCode = await run(process.argv.slice(2));
