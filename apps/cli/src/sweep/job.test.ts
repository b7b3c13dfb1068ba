import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { register as registerDa } from '../commands/da';
import { redisUrl } from '../flags';
import { connectionOptions, printableUrl } from './redis-connection';
import { QueueJobRefusedError, checkTrialJob, readSweepRecord, resultProblem, signedResult, sweepRecord, trialJob } from './job';
import { planSweep, type SweepPlan } from './plan';

const SECRET = 'a-queue-secret-of-32-characters!';

function daCommand(): Command {
  const program = new Command('sdae').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerDa(program, { out: () => {}, err: () => {} });
  return program.commands[0]!;
}

let plan: SweepPlan;
beforeAll(async () => {
  plan = await planSweep(daCommand(), [{ name: 'hidden', values: ['4', '8'] }], ['--epochs', '2']);
});

describe('redisUrl and connectionOptions', () => {
  it('keeps a user, a password, a database and an IPv6 host, and hides the password when printed', () => {
    const url = redisUrl('redis://alice:p%40ss%3Aword@[::1]:6380/3');
    expect(url).toBe('redis://alice:p%40ss%3Aword@[::1]:6380/3');
    expect(connectionOptions(url)).toEqual({
      host: '::1',
      port: 6380,
      db: 3,
      username: 'alice',
      password: 'p@ss:word',
      maxRetriesPerRequest: null,
    });
    expect(printableUrl(url)).toBe('redis://alice:***@[::1]:6380/3');
    expect(redisUrl('redis://:secret@host')).toBe('redis://:secret@host:6379/0');
    expect(connectionOptions(redisUrl('redis://host')).password).toBeUndefined();
  });

  it.each(['redis://host:6379/db', 'redis://host:6379/0?x=1', 'redis://host/1234567890', 'http://host:6379/0', 'redis://host:6379/0#x'])(
    'refuses %s, naming the form expected',
    (text) => {
      expect(() => redisUrl(text)).toThrow('Expected redis://[USER[:PASSWORD]@]HOST:PORT[/DB]');
    },
  );
});

describe('checkTrialJob', () => {
  const refused = (data: unknown, jobId: string | undefined, secret?: string) => {
    try {
      checkTrialJob(plan.id, plan, jobId, data, secret);
    } catch (error) {
      expect(QueueJobRefusedError.isInstance(error)).toBe(true);
      expect((error as QueueJobRefusedError).sweep).toBe(plan.id);
      return (error as Error).message;
    }
    throw new Error('the job was accepted');
  };

  it("returns the plan's trial, with the plan's flags, for a job naming it by id and grid values", () => {
    const trial = plan.trials[1]!;
    expect(checkTrialJob(plan.id, plan, trial.id, trialJob(plan.id, trial, undefined), undefined)).toBe(trial);
    expect(checkTrialJob(plan.id, plan, trial.id, trialJob(plan.id, trial, SECRET), SECRET)).toBe(trial);
  });

  it.each<[string, (trial: { id: string }) => [unknown, string], RegExp]>([
    ['a path as its id', () => [{ sweep: 'S', trial: '../../x', grid: { hidden: '4' } }, '../../x'], /its trial id is not 12 hex digits/],
    [
      'an absolute path as its id',
      () => [{ sweep: 'S', trial: '/tmp/x', grid: { hidden: '4' } }, '/tmp/x'],
      /its trial id is not 12 hex digits/,
    ],
    [
      'an id other than its job id',
      (trial) => [{ sweep: 'S', trial: trial.id, grid: { hidden: '4' } }, 'aaaaaaaaaaaa'],
      /equal to its job id/,
    ],
    [
      'flags of its own',
      (trial) => [{ sweep: 'S', trial: trial.id, grid: { hidden: '4' }, argv: ['--checkpoint', '/x'] }, trial.id],
      /it carries argv/,
    ],
    [
      'a flag outside the grid',
      (trial) => [{ sweep: 'S', trial: trial.id, grid: { hidden: '4', out: '/tmp' } }, trial.id],
      /grid values are not those/,
    ],
    ['another value', (trial) => [{ sweep: 'S', trial: trial.id, grid: { hidden: '8' } }, trial.id], /grid values are not those/],
    ['another sweep', (trial) => [{ sweep: '000000000000', trial: trial.id, grid: { hidden: '4' } }, trial.id], /names another sweep/],
    ['no object', () => [null, 'x'], /it is not an object/],
  ])('refuses a job with %s', (_case, make, message) => {
    const [data, jobId] = make(plan.trials[0]!);
    const withSweep =
      data !== null && typeof data === 'object' && (data as { sweep: string }).sweep === 'S' ? { ...data, sweep: plan.id } : data;
    expect(refused(withSweep, jobId)).toMatch(message);
  });

  it('with a secret, refuses an unsigned job, one signed with another secret and a signed job whose grid was changed', () => {
    const trial = plan.trials[0]!;
    expect(refused(trialJob(plan.id, trial, undefined), trial.id, SECRET)).toMatch(
      /it is not signed, and this worker has a --queue-secret\.$/,
    );
    expect(refused(trialJob(plan.id, trial, 'another-secret-of-some-length'), trial.id, SECRET)).toMatch(/signed with another secret/);
    const other = plan.trials[1]!;
    const forged = { ...trialJob(plan.id, trial, SECRET), trial: other.id, grid: other.grid };
    expect(refused(forged, other.id, SECRET)).toMatch(/it is signed with another secret/);
  });
});

describe('readSweepRecord', () => {
  it.each([
    [null, 'is missing'],
    ['null', 'is null, not an object'],
    ['{"version":', 'is not valid JSON (11 characters)'],
    ['[1, 2]', 'is a JSON array, not an object'],
    ['{"version": "0.0.0"}', 'lacks a field or holds one of the wrong type (expected version, out, command, grid and fixed)'],
  ])('refuses the record %j, naming the sweep, without quoting it', (text, what) => {
    expect(() => readSweepRecord('0123456789ab', text, undefined)).toThrow(
      `sweep 0123456789ab: its record in Redis (sdae:sweep:0123456789ab) ${what}; its trials are refused.`,
    );
  });

  it('reads a record back, and with a secret only a signed one', () => {
    const signed = JSON.stringify(sweepRecord(plan, '1.0.0', '/runs/s', SECRET));
    expect(readSweepRecord(plan.id, signed, SECRET)).toEqual({
      version: '1.0.0',
      out: '/runs/s',
      command: 'da',
      grid: plan.grid,
      fixed: plan.fixed,
    });
    const unsigned = JSON.stringify(sweepRecord(plan, '1.0.0', '/runs/s', undefined));
    expect(() => readSweepRecord(plan.id, unsigned, SECRET)).toThrow('is not signed, and this worker has a --queue-secret');
    // A signature holds for its sweep id only.
    expect(() => readSweepRecord('0123456789ab', signed, SECRET)).toThrow('signed with another secret');
  });
});

describe('resultProblem', () => {
  it('accepts a result of the right shape, and with a secret only one signed for that trial', () => {
    const result = { worker: 'host:1', seconds: 1.5, directory: '/r/x', history: [{ epoch: 0, cost: 1 }] };
    expect(resultProblem('s', 't', result, undefined)).toBeUndefined();
    expect(resultProblem('s', 't', { ...result, seconds: '1' }, undefined)).toBe('its result in Redis is malformed');
    expect(resultProblem('s', 't', signedResult('s', 't', result, SECRET), SECRET)).toBeUndefined();
    expect(resultProblem('s', 't', result, SECRET)).toBe('its result in Redis is not signed with the --queue-secret');
    expect(resultProblem('s', 'u', signedResult('s', 't', result, SECRET), SECRET)).toBe(
      'its result in Redis is not signed with the --queue-secret',
    );
  });
});
