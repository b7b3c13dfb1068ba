import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findMesaVersion } from './adapter';

/** What the version search must equal: the regular expression over the whole library as text. */
const reference = (bytes: Buffer) => /Mesa \d+\.\d+[\w.~+-]*/.exec(bytes.toString('latin1'))?.[0];

describe('findMesaVersion', () => {
  it.each([
    ['a version between other bytes', Buffer.from('\u0000\u0001Mesa 25.0.7-2~bpo12+1\u0000tail', 'latin1')],
    ['the first version after mentions without one', Buffer.from('Mesa driverMesa 3Mesa 24.2.8\u0000Mesa 25.0.1', 'latin1')],
    ['a version ending the bytes', Buffer.from('built by Mesa 23.1', 'latin1')],
    ['a version longer than the first window', Buffer.from(`..Mesa 25.0.${'7'.repeat(300)}-x\u0000`, 'latin1')],
    ['no version', Buffer.from('Mesa Mesa. Mesa 25 and 3.1', 'latin1')],
  ])('finds what the regular expression finds: %s', (_, bytes) => {
    expect(findMesaVersion(bytes)).toBe(reference(bytes));
  });

  it.runIf(existsSync('/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so'))(
    'reads the version built into lavapipe as the regular expression does',
    () => {
      const library = readFileSync('/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so');
      const version = findMesaVersion(library);
      expect(version).toMatch(/^Mesa \d+\.\d+/);
      expect(version).toBe(reference(library));
    },
  );
});
