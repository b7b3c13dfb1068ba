import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wasmFileUrl } from './wasm-check';
import { WASM_FILE_NAMES, copyWasmFiles, wasmFileDirectory } from './wasm-files';

describe('wasmFileUrl', () => {
  it('puts a string wasmPaths before the file name, as setWasmPaths does', () => {
    expect(wasmFileUrl('tfjs-backend-wasm-simd.wasm', '/static/wasm/', 'http://host/app/index.html')).toBe(
      'http://host/static/wasm/tfjs-backend-wasm-simd.wasm',
    );
  });

  it('takes a file from a wasmPaths map, and the page folder when the map or the option lacks it', () => {
    const base = 'http://host/app/index.html';
    expect(wasmFileUrl('tfjs-backend-wasm.wasm', { 'tfjs-backend-wasm.wasm': 'https://cdn/x.wasm' }, base)).toBe('https://cdn/x.wasm');
    expect(wasmFileUrl('tfjs-backend-wasm-simd.wasm', { 'tfjs-backend-wasm.wasm': 'https://cdn/x.wasm' }, base)).toBe(
      'http://host/app/tfjs-backend-wasm-simd.wasm',
    );
    expect(wasmFileUrl('tfjs-backend-wasm.wasm', undefined, base)).toBe('http://host/app/tfjs-backend-wasm.wasm');
  });
});

describe('copyWasmFiles', () => {
  it('copies the three binaries of the installed tfjs-backend-wasm, byte for byte', async () => {
    const destination = join(await mkdtemp(join(tmpdir(), 'sdae-wasm-')), 'public', 'wasm');
    try {
      const written = await copyWasmFiles(destination);
      expect(written).toEqual(WASM_FILE_NAMES.map((name) => join(destination, name)));
      expect((await readdir(destination)).sort()).toEqual([...WASM_FILE_NAMES].sort());
      for (const name of WASM_FILE_NAMES) {
        const copy = await readFile(join(destination, name));
        expect(copy.subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d])); // "\0asm", a wasm module
        expect(copy.equals(await readFile(join(wasmFileDirectory(), name)))).toBe(true);
      }
    } finally {
      await rm(join(destination, '..', '..'), { recursive: true, force: true });
    }
  });
});
