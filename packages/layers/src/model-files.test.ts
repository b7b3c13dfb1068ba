import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from './errors';
import { exportLayersModel, importLayersModel } from './layers-model-node';
import { LogisticRegression } from './logistic-regression';
import type { AnyModel } from './model-io';
import { loadModel, saveModel } from './save-load-node';

// Hostile model directories (issue 27, case 9 and the model files of case 3): each is refused by
// name before its weights are read, in bounded memory.

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The most a refusal may take, measured as the peak resident memory of a process doing only that. */
const MAX_RSS_BYTES = 300 * 1024 * 1024;

let root: string;
let count = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sdae-model-files-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function exported(): Promise<{ directory: string; json: { weightsManifest: { paths: string[]; weights: unknown[] }[] } }> {
  const directory = join(root, `export-${count++}`);
  const model = new LogisticRegression({ inputSize: 4, numClasses: 2 });
  await exportLayersModel(model, directory);
  model.dispose();
  return { directory, json: JSON.parse(await readFile(join(directory, 'model.json'), 'utf8')) };
}

async function saved(): Promise<string> {
  const directory = join(root, `saved-${count++}`);
  const model = new LogisticRegression({ inputSize: 4, numClasses: 2 });
  await saveModel(model, directory);
  model.dispose();
  return directory;
}

async function refusal(load: Promise<AnyModel>): Promise<ModelFormatError> {
  const error = await load.then(
    (model) => {
      model.dispose();
      return undefined;
    },
    (caught: unknown) => caught,
  );
  expect(ModelFormatError.isInstance(error), String(error)).toBe(true);
  return error as ModelFormatError;
}

/**
 * Loads `directory` with `loader` in a fresh Node process (the built package) and returns its
 * error's class and message and the process' peak resident memory in bytes.
 */
function loadInChild(loader: 'importLayersModel' | 'loadModel', directory: string): { name: string; message: string; maxRss: number } {
  const script =
    `const m = await import('@sdae/layers'); let name = 'none', message = '';` +
    `try { (await m.${loader}(process.argv[1])).dispose(); } catch (e) { name = e.name; message = e.message; }` +
    `console.log(JSON.stringify({ name, message, maxRss: process.resourceUsage().maxRSS * 1024 }));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, directory], { cwd: PACKAGE, encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as { name: string; message: string; maxRss: number };
}

describe('importLayersModel on hostile directories', () => {
  it('refuses one shard listed 20,000 times before reading any, in bounded memory', async () => {
    const { directory, json } = await exported();
    const shard = json.weightsManifest[0]!.paths[0]!;
    json.weightsManifest[0]!.paths = Array.from({ length: 20_000 }, () => shard);
    await writeFile(join(directory, 'model.json'), JSON.stringify(json));
    const error = await refusal(importLayersModel(directory));
    expect(error.field).toBe('weightsManifest paths');
    expect(error.message).toBe(
      `${join(directory, 'model.json')}: weightsManifest paths is wrong: expected each weight file listed once, found ` +
        `"${shard}" listed again (20000 paths in all). Pass a directory written by exportLayersModel, model.save or tensorflowjs_converter.`,
    );
    const child = loadInChild('importLayersModel', directory);
    expect(child.name).toBe('ModelFormatError');
    expect(child.message).toBe(error.message);
    expect(child.maxRss).toBeLessThan(MAX_RSS_BYTES);
  });

  it('refuses a weight file that is a symbolic link leaving the model directory', async () => {
    const { directory, json } = await exported();
    const shard = join(directory, json.weightsManifest[0]!.paths[0]!);
    const outside = join(root, `outside-${count++}.bin`);
    await writeFile(outside, await readFile(shard));
    await unlink(shard);
    await symlink(outside, shard);
    const error = await refusal(importLayersModel(directory));
    expect(error.field).toBe('location');
    expect(error.message).toBe(
      `importLayersModel: ${shard} is a symbolic link to ${outside}, outside ${directory}; it was not followed (a model's files stay ` +
        'in its directory). Pass a directory written by exportLayersModel, model.save or tensorflowjs_converter.',
    );
  });

  it("refuses shards larger than the weights' shapes fill from their sizes (a 1.9 GB sparse shard), before reading them", async () => {
    const { directory, json } = await exported();
    await truncate(join(directory, json.weightsManifest[0]!.paths[0]!), 1_900_000_000);
    const error = await refusal(importLayersModel(directory));
    expect(error.message).toContain('holds 1.8 GiB (1900000000 bytes), more than the 40 bytes a weight file of this model may hold');
    expect(loadInChild('importLayersModel', directory).maxRss).toBeLessThan(MAX_RSS_BYTES);
  });

  it('refuses a model.json that is a FIFO without waiting for a writer', async () => {
    const { directory } = await exported();
    await unlink(join(directory, 'model.json'));
    execFileSync('mkfifo', [join(directory, 'model.json')]);
    const error = await refusal(importLayersModel(directory));
    expect(error.message).toBe(
      `importLayersModel: ${join(directory, 'model.json')} is a FIFO (named pipe), not a model.json; it was not read. ` +
        'Pass a directory written by exportLayersModel, model.save or tensorflowjs_converter.',
    );
  });
});

describe('loadModel on hostile directories', () => {
  it('refuses a weights.bin linked to /dev/zero, in bounded memory', async () => {
    const directory = await saved();
    await unlink(join(directory, 'weights.bin'));
    await symlink('/dev/zero', join(directory, 'weights.bin'));
    const error = await refusal(loadModel(directory));
    expect(error.message).toBe(
      `loadModel: ${join(directory, 'weights.bin')} is a symbolic link to /dev/zero, outside ${directory}; it was not followed ` +
        "(a model's files stay in its directory). Pass the directory written by saveModel.",
    );
    const child = loadInChild('loadModel', directory);
    expect(child.name).toBe('ModelFormatError');
    expect(child.maxRss).toBeLessThan(MAX_RSS_BYTES);
  });

  it('refuses a weights.bin larger than its manifest promises before reading it', async () => {
    const directory = await saved();
    await truncate(join(directory, 'weights.bin'), 1_900_000_000);
    const error = await refusal(loadModel(directory));
    expect(error.field).toBe('size');
    expect(error.message).toBe(
      `loadModel: ${join(directory, 'weights.bin')} holds 1.8 GiB (1900000000 bytes), more than the 40 bytes the weights.bin its ` +
        'model.json describes may hold; it was not read. Pass the directory written by saveModel.',
    );
    expect(loadInChild('loadModel', directory).maxRss).toBeLessThan(MAX_RSS_BYTES);
  });

  it('refuses a model directory whose model.json is /dev/zero', async () => {
    const directory = await saved();
    await unlink(join(directory, 'model.json'));
    await symlink('/dev/zero', join(directory, 'model.json'));
    expect((await refusal(loadModel(directory))).field).toBe('location');
  });
});
