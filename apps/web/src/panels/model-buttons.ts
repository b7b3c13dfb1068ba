// Save and load buttons for a panel's model.
import type { AnyModel, Model } from '@sdae/layers/browser';
import { h } from '../dom';
import { MODEL_FILE_EXTENSION, downloadModel, readModelFile } from '../model-file';
import type { RunControls } from '../run-controls';

/** What the buttons need from their panel. */
export interface ModelButtonsOptions {
  id: string;
  /** The file name without extension. */
  fileName: string;
  /** The panel's model to save, or undefined when there is none yet. */
  current: () => Model | undefined;
  /** Takes a loaded model and shows it; resolves to an error message when the panel cannot use it. */
  accept: (model: AnyModel) => Promise<string | undefined>;
  controls: RunControls;
}

/** "Save model" and "Load model" for a panel; loading is refused while the panel trains. */
export function modelButtons(options: ModelButtonsOptions): HTMLElement {
  const { id, controls } = options;
  const save = h('button', { id: `${id}-save`, type: 'button' }, 'Save model');
  const file = h('input', { id: `${id}-load`, type: 'file', accept: MODEL_FILE_EXTENSION, class: 'visually-hidden' });
  const load = h('label', { class: 'button', for: `${id}-load` }, 'Load model…');
  save.addEventListener('click', async () => {
    const model = options.current();
    if (model === undefined) controls.say('There is no model to save yet: train one or load one.', 'error');
    else {
      try {
        await downloadModel(model, options.fileName);
        controls.say(`Saved ${options.fileName}${MODEL_FILE_EXTENSION} (${model.parameterCount().toLocaleString('en')} parameters).`);
      } catch (error) {
        controls.say(`Saving failed: ${(error as Error).message}`, 'error');
      }
    }
  });
  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    file.value = '';
    if (chosen === undefined) return;
    const state = controls.session?.state;
    if (state === 'running' || state === 'paused' || state === 'stopping') {
      controls.say('Stop training before loading a model.', 'error');
      return;
    }
    try {
      const model = await readModelFile(chosen);
      const refusal = await options.accept(model);
      if (refusal !== undefined) {
        model.dispose();
        controls.say(`${chosen.name}: ${refusal}`, 'error');
      } else controls.say(`Loaded ${chosen.name} (${model.parameterCount().toLocaleString('en')} parameters).`);
    } catch (error) {
      controls.say((error as Error).message, 'error');
    }
  });
  return h('div', { class: 'controls' }, save, load, file);
}
