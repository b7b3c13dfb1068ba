// A canvas where a person draws a digit with the mouse, a finger or a pen; each stroke gives a
// new MNIST-like input (see mnistInput).
import { mnistInput } from '@sdae/datasets';
import { h } from './dom';

const SIZE = 280;

/** The drawing canvas, its Clear button and the 28 x 28 input it makes. */
export class DrawPad {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  /** The 28 x 28 input as the network sees it. */
  readonly preview: HTMLCanvasElement;
  readonly #context: CanvasRenderingContext2D;
  #drawing = false;

  constructor(
    id: string,
    private readonly onInput: (input: Float32Array | undefined) => void,
  ) {
    this.canvas = h('canvas', { id, class: 'draw-pad', width: String(SIZE), height: String(SIZE), 'aria-label': 'Draw a digit here' });
    this.preview = h('canvas', { id: `${id}-input`, class: 'pixels', width: '28', height: '28' });
    this.preview.style.width = this.preview.style.height = '84px';
    const clear = h('button', { id: `${id}-clear`, type: 'button' }, 'Clear');
    this.element = h(
      'div',
      { class: 'draw' },
      this.canvas,
      h('div', { class: 'draw-side' }, clear, h('figure', {}, this.preview, h('figcaption', {}, 'What the network sees'))),
    );
    this.#context = this.canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    clear.addEventListener('click', () => {
      this.clear();
      this.onInput(undefined);
    });
    this.canvas.addEventListener('pointerdown', (event) => {
      this.#drawing = true;
      this.canvas.setPointerCapture(event.pointerId);
      const [x, y] = this.#position(event);
      this.#context.beginPath();
      this.#context.moveTo(x, y);
      this.#context.lineTo(x, y);
      this.#context.stroke();
    });
    this.canvas.addEventListener('pointermove', (event) => {
      if (!this.#drawing) return;
      const [x, y] = this.#position(event);
      this.#context.lineTo(x, y);
      this.#context.stroke();
    });
    const end = (): void => {
      if (!this.#drawing) return;
      this.#drawing = false;
      this.onInput(this.input());
    };
    this.canvas.addEventListener('pointerup', end);
    this.canvas.addEventListener('pointercancel', end);
  }

  clear(): void {
    const context = this.#context;
    context.fillStyle = 'black';
    context.fillRect(0, 0, SIZE, SIZE);
    Object.assign(context, { strokeStyle: 'white', lineWidth: 22, lineCap: 'round', lineJoin: 'round' });
    this.preview.getContext('2d')!.clearRect(0, 0, 28, 28);
  }

  /** The drawing as an MNIST input (784 values in [0, 1]), and shown in the preview. */
  input(): Float32Array {
    const { data } = this.#context.getImageData(0, 0, SIZE, SIZE);
    const grey = new Float32Array(SIZE * SIZE);
    for (let index = 0; index < grey.length; index++) grey[index] = data[index * 4]! / 255;
    const input = mnistInput(grey, SIZE, SIZE);
    const preview = new ImageData(28, 28);
    input.forEach((value, index) => preview.data.set([value * 255, value * 255, value * 255, 255], index * 4));
    this.preview.getContext('2d')!.putImageData(preview, 0, 0);
    return input;
  }

  #position(event: PointerEvent): [number, number] {
    const box = this.canvas.getBoundingClientRect();
    return [((event.clientX - box.left) * SIZE) / box.width, ((event.clientY - box.top) * SIZE) / box.height];
  }
}
