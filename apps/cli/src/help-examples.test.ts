import { describe, expect, it } from 'vitest';
import { buildProgram } from './cli';
import { checkFlags } from './flags';
import { HELP_EXAMPLES } from './help-examples';
import { runCaptured } from './test-cli';

const program = buildProgram({ out: () => {}, err: () => {} });
const examples = Object.entries(HELP_EXAMPLES).flatMap(([name, lines]) => lines.map((line) => [name || 'sdae', line] as const));

describe('--help examples', () => {
  it('gives every command examples', () => {
    expect(program.commands.map((command) => command.name()).filter((name) => HELP_EXAMPLES[name] === undefined)).toEqual([]);
  });

  it.each(program.commands.map((command) => command.name()))('prints the examples at the end of sdae %s --help', async (name) => {
    const result = await runCaptured([name, '--help']);
    expect(result.out).toContain(`\nExamples:\n${HELP_EXAMPLES[name]!.map((line) => `  $ ${line}`).join('\n')}\n`);
  });

  it('prints examples at the end of sdae --help', async () => {
    expect((await runCaptured(['--help'])).out).toMatch(/\nExamples:\n {2}\$ sdae data --split mini\n/);
  });

  it.each(examples)('%s: `%s` parses with the command’s flags', async (_name, line) => {
    const [sdae, command, ...argv] = line.split(' ');
    expect(sdae).toBe('sdae');
    const target = program.commands.find((candidate) => candidate.name() === command);
    expect(target, `no command ${command}`).toBeDefined();
    await expect(checkFlags(target!, argv)).resolves.toBeTypeOf('object');
  });
});
