import { selectBackend } from '@sdae/backend';
import { barsAndStripes } from '@sdae/datasets';
import { DenoisingAutoencoder } from '@sdae/layers';
import { autoencoderTraining, type TrainingEvent, type TrainingResult } from '@sdae/train';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TrainingSession, type SessionState } from './session';

// A real dA on a tiny synthetic set: 100 images of 4 x 4 in minibatches of 10 = 10 steps per epoch.
const set = barsAndStripes({ size: 4, count: 100, seed: 1 });
const models: DenoisingAutoencoder[] = [];

function training(session: TrainingSession, epochs = 2): AsyncGenerator<TrainingEvent, TrainingResult> {
  const model = new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 8, corruptionLevel: 0.2, seed: 3 });
  models.push(model);
  return autoencoderTraining(model, set, { epochs, batchSize: 10, signal: session.signal });
}

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
});
afterEach(() => models.splice(0).forEach((model) => model.dispose()));

describe('TrainingSession', () => {
  it('drives a loop to its end, passing every event on and timing every minibatch step', async () => {
    const session = new TrainingSession();
    const types: string[] = [];
    const result = await session.drive(training(session), (event) => types.push(event.type));
    expect(result.stopReason).toBe('completed');
    expect(types.filter((type) => type === 'batch-end')).toHaveLength(20);
    expect(types.filter((type) => type === 'epoch-end')).toHaveLength(2);
    expect(session.stepMilliseconds).toHaveLength(20);
    expect(session.stepMilliseconds.every((milliseconds) => milliseconds >= 0)).toBe(true);
    expect(session.medianStepMilliseconds()).toBeGreaterThanOrEqual(0);
  });

  it('takes no step while paused and continues on resume', async () => {
    const states: SessionState[] = [];
    const session = new TrainingSession((state) => states.push(state));
    let batches = 0;
    let batchesWhenResumed = -1;
    const run = session.drive(training(session), (event) => {
      if (event.type !== 'batch-end') return;
      batches++;
      if (batches === 3) {
        session.pause();
        // Many turns of the event loop later the loop must still be at 3 minibatches.
        setTimeout(() => {
          batchesWhenResumed = batches;
          session.resume();
        }, 50);
      }
    });
    const result = await run;
    expect(batchesWhenResumed).toBe(3);
    expect(result.stopReason).toBe('completed');
    expect(batches).toBe(20);
    expect(states).toEqual(['paused', 'running']);
  });

  it('stops after the current minibatch, and a paused session stops at once', async () => {
    const session = new TrainingSession();
    let batches = 0;
    const result = await session.drive(training(session), (event) => {
      if (event.type !== 'batch-end') return;
      batches++;
      if (batches === 4) {
        session.pause();
        setTimeout(() => session.stop(), 20);
      }
    });
    expect(result.stopReason).toBe('aborted');
    expect(batches).toBe(4);
    expect(session.state).toBe('stopping');
    session.finish();
    expect(session.state).toBe('finished');
  });

  it('gives NaN as the median step time before any step', () => {
    expect(new TrainingSession().medianStepMilliseconds()).toBeNaN();
  });
});
