// The page: backend and data at the top, then one panel per model. Training runs on the page's
// thread and gives it back every frame (see TrainingSession), so the page stays responsive.
import type { AppContext } from './app-context';
import { BackendChooser } from './backend-chooser';
import { DataLoader } from './data-loader';
import { h } from './dom';
import { cnnPanel } from './panels/cnn-panel';
import { daPanel } from './panels/da-panel';
import { sdaPanel } from './panels/sda-panel';

const root = document.querySelector<HTMLElement>('#app')!;
const tabs = document.querySelector<HTMLElement>('#tabs')!;

const app: AppContext = {
  backend: undefined,
  mnist: undefined,
  busy: false,
  setBusy: (busy) => {
    app.busy = busy;
    backendChooser.locked = busy;
    dataLoader.locked = busy;
  },
};
const backendChooser = new BackendChooser((report) => (app.backend = report));
const dataLoader = new DataLoader((mnist) => (app.mnist = mnist));
const panels = { da: daPanel(app), sda: sdaPanel(app), cnn: cnnPanel(app) };
const titles: Record<keyof typeof panels, string> = { da: 'dA', sda: 'SdA', cnn: 'CNN' };

function showPanel(name: keyof typeof panels): void {
  for (const [key, panel] of Object.entries(panels)) {
    panel.element.hidden = key !== name;
    document.querySelector(`#tab-${key}`)?.setAttribute('aria-selected', String(key === name));
  }
  history.replaceState(null, '', `#${name}`);
}

for (const name of Object.keys(panels) as Array<keyof typeof panels>) {
  const tab = h('button', { id: `tab-${name}`, type: 'button', role: 'tab' }, titles[name]);
  tab.addEventListener('click', () => showPanel(name));
  tabs.append(tab);
}
// The backend and the data side by side on a wide screen (style.css), the model panels below.
root.append(
  h('div', { class: 'setup' }, backendChooser.element, dataLoader.element),
  ...Object.values(panels).map((panel) => panel.element),
);
const requested = location.hash.slice(1);
showPanel(requested in panels ? (requested as keyof typeof panels) : 'da');

// For the browser console and the end-to-end tests: the live state of every panel.
const ready = Promise.all([backendChooser.choose(), dataLoader.load()]).then(() => document.body.setAttribute('data-ready', 'true'));
Object.assign(window, { sdae: { app, da: panels.da.state, sda: panels.sda.state, cnn: panels.cnn.state, ready } });
