// Small DOM helpers shared by the panels: building elements, drawing images and charts.
import { greyToRgba, tileRasterImages, toImageData, type GreyImage } from '@sdae/vis';

type Child = Node | string | undefined;

/**
 * Creates an element with attributes (`class`, `id`, `data-*`, `aria-*`, ...) and children.
 *
 * @example h('button', { type: 'button' }, 'Start')
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child !== undefined) element.append(child);
  return element;
}

/** What a model panel shows, by column (see {@link panelColumns}). */
export interface PanelParts {
  /** The settings' fields, in one wrapping row. */
  fields: Child[];
  /** Under the fields: run controls, model buttons, the log. */
  controls: Child[];
  /** The results' figures (charts, pictures), wrapping side by side. */
  figures: Child[];
  /** Under the figures. */
  more?: Child[];
}

/**
 * A model panel's body in two columns, its settings (fields, run controls, log) and its results
 * (charts, pictures): side by side on a wide screen, stacked on a narrow one (style.css).
 */
export function panelColumns(parts: PanelParts): HTMLDivElement {
  return h(
    'div',
    { class: 'panel-columns' },
    h('div', { class: 'panel-settings' }, h('div', { class: 'row' }, ...parts.fields), ...parts.controls),
    h('div', { class: 'panel-results' }, h('div', { class: 'figures' }, ...parts.figures), ...(parts.more ?? [])),
  );
}

/** A labelled form field; the input's id is `id`. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLLabelElement {
  return h('label', { class: 'field' }, h('span', {}, label), input, hint === undefined ? undefined : h('small', {}, hint));
}

/** A number input with its bounds. */
export function numberInput(
  id: string,
  value: number,
  bounds: { min?: number; max?: number; step?: number | 'any' } = {},
): HTMLInputElement {
  const attributes: Record<string, string> = { id, type: 'number', value: String(value), step: String(bounds.step ?? 'any') };
  if (bounds.min !== undefined) attributes.min = String(bounds.min);
  if (bounds.max !== undefined) attributes.max = String(bounds.max);
  return h('input', attributes);
}

/** A text input. */
export function textInput(id: string, value: string): HTMLInputElement {
  return h('input', { id, type: 'text', value });
}

/** A select with one option per value; `labels` names them for people. */
export function select<T extends string>(
  id: string,
  values: readonly T[],
  selected: T,
  labels: Partial<Record<T, string>> = {},
): HTMLSelectElement {
  const element = h('select', { id });
  for (const value of values) element.append(h('option', { value }, labels[value] ?? value));
  element.value = selected;
  return element;
}

/** A canvas showing grey images pixel for pixel, enlarged by CSS (`data-zoom`). */
export function imageCanvas(id: string, zoom = 2): HTMLCanvasElement {
  const canvas = h('canvas', { id, class: 'pixels', width: '1', height: '1', 'data-zoom': String(zoom) });
  return canvas;
}

/** Draws a grey image onto a canvas, resizing it to the image. */
export function drawGreyImage(canvas: HTMLCanvasElement, image: GreyImage): void {
  if (canvas.width !== image.width || canvas.height !== image.height) {
    canvas.width = image.width;
    canvas.height = image.height;
    const zoom = Number(canvas.dataset.zoom ?? '1');
    // The height follows the width (the canvas' aspect ratio), so a narrow column scales it down (style.css).
    canvas.style.width = `${image.width * zoom}px`;
    canvas.style.height = 'auto';
  }
  canvas.getContext('2d')!.putImageData(toImageData(greyToRgba(image)), 0, 0);
}

/** Draws the first 100 filters (rows of 784 values, e.g. Wᵀ) as Theano's 10 x 10 tile grid. */
export function drawFilterGrid(canvas: HTMLCanvasElement, filters: ArrayLike<number>): void {
  drawGreyImage(canvas, tileRasterImages(filters));
}

/**
 * Runs a panel's redraws one after another and returns the function that asks for one; its
 * promise resolves once that redraw is on screen. Redraws read tensors with `await data()`: a
 * synchronous read stalls a GPU backend, and WebGPU on a software adapter cannot read
 * synchronously at all. A failed redraw goes to `onError` and does not stop the next.
 */
export function redrawQueue(redraw: () => Promise<void>, onError: (error: Error) => void): () => Promise<void> {
  let last = Promise.resolve();
  return () => (last = last.then(redraw).catch((error: unknown) => onError(error as Error)));
}

/** A container for an SVG chart made by @sdae/vis. */
export function showSvg(container: HTMLElement, svg: string): void {
  container.innerHTML = svg;
}

/** Reads a number input, saying which field is wrong when it is not a number in its bounds. */
export function readNumber(input: HTMLInputElement, label: string): number {
  const value = input.valueAsNumber;
  const min = input.min === '' ? -Infinity : Number(input.min);
  const max = input.max === '' ? Infinity : Number(input.max);
  if (!Number.isFinite(value) || value < min || value > max) {
    const range = `${Number.isFinite(min) ? min : '-∞'} to ${Number.isFinite(max) ? max : '∞'}`;
    throw new Error(`${label}: expected a number from ${range}, got "${input.value}".`);
  }
  return value;
}

/** Reads a comma-separated list of numbers, e.g. hidden sizes "500,500". */
export function readNumberList(input: HTMLInputElement, label: string): number[] {
  const values = input.value.split(',').map((part) => Number(part.trim()));
  if (input.value.trim() === '' || values.some((value) => !Number.isFinite(value))) {
    throw new Error(`${label}: expected numbers separated by commas (e.g. 500,500), got "${input.value}".`);
  }
  return values;
}
