import { describe, expect, it } from 'vitest';
import { InputBuffers } from './input-buffers';

describe('InputBuffers', () => {
  it('hands each of `slots` steps its own array and the same one again `slots` steps later', () => {
    const buffers = new InputBuffers(3);
    const arrays = Array.from({ length: 7 }, (_, step) => {
      if (step > 0) buffers.next();
      return buffers.get('noise', 4);
    });
    expect(new Set(arrays).size).toBe(3);
    for (let step = 3; step < 7; step++) expect(arrays[step]).toBe(arrays[step - 3]);
  });

  it('keeps inputs apart by name and makes a new array when the length changes', () => {
    const buffers = new InputBuffers(1);
    const noise = buffers.get('noise', 4);
    expect(buffers.get('dropout0', 4)).not.toBe(noise);
    expect(buffers.get('noise', 4)).toBe(noise);
    expect(buffers.get('noise', 2)).toHaveLength(2);
  });
});
