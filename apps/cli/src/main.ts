import { run } from './cli';
import { exitWithParentWhenAsked } from './trial-process';

exitWithParentWhenAsked();
process.exitCode = await run(process.argv.slice(2));
