import { Option, type Command } from 'commander';
import { InvalidArgumentError } from '@sdae/core';

/**
 * Keeps a flag's old name working after a rename, so that one concept has one name across
 * commands (`--corruption` everywhere, not `--corruption` in one and `--corruption-levels` in
 * another): the old name is accepted (hidden from --help, parsed as the new one), says once that
 * it is the old name, and sets the new flag. Giving both is a usage error.
 *
 * @param oldFlags the old name and its argument, as commander writes it: `'--corruption-levels <levels>'`.
 * @param current the new flag's long name, already on `command`: `'--corruption'`.
 * @example keepOldFlagName(command, '--hidden-sizes <sizes>', '--hidden', output.err);
 */
export function keepOldFlagName(command: Command, oldFlags: string, current: string, warn: (text: string) => void): void {
  const renamed = command.options.find((option) => option.long === current);
  if (renamed === undefined) throw new Error(`keepOldFlagName: ${command.name()} has no ${current}`);
  const old = new Option(oldFlags, `the old name of ${current}`).hideHelp();
  if (renamed.parseArg !== undefined) old.argParser(renamed.parseArg);
  command.addOption(old);
  command.hook('preAction', (self) => {
    const value = self.getOptionValue(old.attributeName());
    if (value === undefined) return;
    if (self.getOptionValueSource(renamed.attributeName()) === 'cli')
      throw new InvalidArgumentError(old.long!, value, `${old.long} is the old name of ${current}; give only ${current}.`);
    warn(`sdae: ${old.long} is now called ${current} (the name every command uses); the old name still works for now.\n`);
    self.setOptionValueWithSource(renamed.attributeName(), value, 'cli');
  });
}
