import type { Command, Option, OptionValues } from 'commander';
import type { EventEmitter } from 'node:events';
import { InvalidArgumentError } from '@sdae/core';

// The flag framework: every flag of the sdae command is declared through `flag()` (in shared.ts,
// or in its only command's module) and read with the parsers of parsers.ts.

/** A command-line flag: its commander option (built fresh for each command) and the typed reader of its value. */
export interface Flag<T> {
  option: () => Option;
  read: (values: OptionValues) => T;
}

/** Flags by the name their value takes in a command's typed flags. */
export type FlagSet = Record<string, Flag<unknown>>;

/** The typed values of a {@link FlagSet}, as {@link readFlags} returns them. */
export type FlagValues<S extends FlagSet> = { [K in keyof S]: ReturnType<S[K]['read']> };

/**
 * Declares a flag whose parsed value has type `T`. The option's parser (or choices) is what makes
 * the value a `T`; the reader only picks it from commander's parsed values.
 *
 * @example const seed = flag<number>(() => new Option('--seed <n>', 'seed').argParser(anyNumber).default(0));
 */
export function flag<T>(build: () => Option): Flag<T> {
  const attribute = build().attributeName();
  return { option: build, read: (values) => values[attribute] as T };
}

/** Reads the parsed values of `flags` from commander's options, each with its type. */
export function readFlags<S extends FlagSet>(values: OptionValues, flags: S): FlagValues<S> {
  return Object.fromEntries(Object.entries(flags).map(([name, declared]) => [name, declared.read(values)])) as FlagValues<S>;
}

/**
 * Makes a second `option` on one command line a usage error (exit 2) rather than letting the last
 * silently win: `--epochs 5 ... --epochs 50`. Flags meant to repeat are exempt: variadic ones and
 * those whose parser takes the previous value (`(text, previous) => [...previous, item]`, as
 * sweep's `--grid`).
 */
export function refuseRepeats(command: Command, option: Option): void {
  if (option.variadic || (option.parseArg?.length ?? 0) >= 2) return;
  // Runs before commander's own listener stores the value: a value already from the command line is a repeat.
  (command as unknown as EventEmitter).prependListener(`option:${option.name()}`, (value: string | undefined) => {
    if (command.getOptionValueSource(option.attributeName()) !== 'cli') return;
    const given =
      value === undefined
        ? ''
        : ` (${JSON.stringify(String(command.getOptionValue(option.attributeName())))}, then ${JSON.stringify(value)})`;
    command.error(`error: option '${option.flags}' was given twice${given}; give it once.`, { exitCode: 2, code: 'sdae.repeatedOption' });
  });
}

/** The commands {@link checkFlags} is parsing, each with the typed values its parse read. */
export const checking = new Map<Command, Record<string, unknown> | undefined>();

/**
 * Adds a command taking `flags` (in their order) to `program`; `action` receives their typed
 * values and the command (for usage errors and its arguments). `refuse` throws for flags that
 * contradict each other (see {@link refuseInapplicable}); it runs before `action`, and alone when
 * {@link checkFlags} checks a command line (as `sdae sweep` does for every trial before it runs any).
 *
 * @example addCommand(program, 'data', 'load MNIST', { split: splitFlag }, async (flags) => dataCommand(flags, output));
 */
export function addCommand<S extends FlagSet>(
  program: Command,
  name: string,
  description: string,
  flags: S,
  action: (values: FlagValues<S>, command: Command) => Promise<void>,
  refuse?: (values: FlagValues<S>, command: Command) => void,
): Command {
  const command = program.command(name).description(description);
  for (const declared of Object.values(flags)) refuseRepeats(command, command.addOption(declared.option()).options.at(-1)!);
  // Commander passes the command's arguments first (when it declares any), then its options and itself.
  return command.action(async (...parameters: unknown[]) => {
    const self = parameters.at(-1) as Command;
    const values = readFlags(self.opts(), flags);
    refuse?.(values, self);
    if (checking.has(self)) checking.set(self, values);
    else await action(values, self);
  });
}

/**
 * Parses `argv` as the flags of `command` (one that {@link addCommand} made) without running it:
 * commander's errors (an unknown flag, a refused value) and the command's own refusals are thrown
 * as they would be by the real run, and the typed values (defaults included) are returned.
 *
 * @throws {CommanderError} or {@link InvalidArgumentError}, as the command would (exit 2).
 * @example const values = await checkFlags(daCommand, ['--learning-rate', '0.5']);
 */
export async function checkFlags(command: Command, argv: readonly string[]): Promise<Record<string, unknown>> {
  checking.set(command, undefined);
  try {
    await command.parseAsync([...argv], { from: 'user' });
    const values = checking.get(command);
    if (values === undefined) throw new Error(`checkFlags: ${command.name()} was not made by addCommand`);
    return values;
  } finally {
    checking.delete(command);
  }
}

/**
 * Refuses a flag the user gave (not its default) that has no effect in this run, instead of
 * ignoring it: `sdae cnn --preset lenet --iterations 10` would otherwise train lenet's epochs.
 *
 * @param flagName the long flag, `'--iterations'`.
 * @param applies whether the flag has an effect with the other flags given.
 * @param reason completes "`<flag> <reason>`": why it does not apply and what to do instead.
 * @throws {InvalidArgumentError} named after the flag (a usage error, exit 2).
 */
export function refuseInapplicable(command: Command, flagName: string, applies: boolean, reason: string): void {
  if (applies) return;
  const option = command.options.find((candidate) => candidate.long === flagName);
  if (option === undefined || command.getOptionValueSource(option.attributeName()) !== 'cli') return;
  throw new InvalidArgumentError(flagName, command.getOptionValue(option.attributeName()), `${flagName} ${reason}`);
}
