import * as core from '@sdae/core';
import { describe, expect, it } from 'vitest';
import * as browser from './browser';
import * as node from './index';

const MOVED = [
  'SdaeError',
  'InvalidArgumentError',
  'assert',
  'describeValue',
  'requirePositiveInteger',
  'requireNonNegativeInteger',
  'requireNumber',
  'requireBoolean',
  'resolveChoice',
  'Random',
  'deriveSeed',
] as const;

describe('the names moved to @sdae/core', () => {
  it('are still exported by both entries, as the very same objects as in @sdae/core', () => {
    for (const name of MOVED) {
      expect(node[name], name).toBe(core[name]);
      expect(browser[name], name).toBe(core[name]);
    }
  });
});
