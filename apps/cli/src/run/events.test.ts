import { describe, expect, it } from 'vitest';
import { errorEvent, wantsJson } from './events';

describe('errorEvent', () => {
  it("takes the first printed line without commander's or sdae's prefix, coded by the exit code", () => {
    expect(errorEvent(2, "error: unknown option '--splt'\n(run with --help for the flags and their defaults)\n")).toEqual({
      type: 'error',
      code: 'usage',
      exitCode: 2,
      message: "unknown option '--splt'",
    });
    expect(errorEvent(1, 'sdae: loadMnist: /tmp/x lacks train-images-idx3-ubyte\n')).toMatchObject({ code: 'failed', exitCode: 1 });
    expect(errorEvent(130, 'interrupted; resume from run.ckpt').message).toBe('interrupted; resume from run.ckpt');
  });
});

describe('wantsJson', () => {
  it('sees --json among the flags but not after --', () => {
    expect(wantsJson(['da', '--json', '--epochs', '1'])).toBe(true);
    expect(wantsJson(['da', '--epochs', '1'])).toBe(false);
    expect(wantsJson(['da', '--', '--json'])).toBe(false);
  });
});
