/**
 * Arrays for the inputs a step draws on the JavaScript side (the dA's noise), used in turn: a
 * step's arrays are written again `slots` steps later, so a runner that holds up to `slots - 1`
 * steps unrun keeps each step's inputs intact and allocates none after the first `slots` steps.
 * A dA's 784 x 20 masks, new every step, made most of a run's garbage collection (0.2 ms a step).
 */
export class InputBuffers {
  private turn = 0;
  private readonly slots: Map<string, Float32Array>[];

  constructor(slots: number) {
    this.slots = Array.from({ length: slots }, () => new Map<string, Float32Array>());
  }

  /** Moves on to the next step's arrays. */
  next(): void {
    this.turn = (this.turn + 1) % this.slots.length;
  }

  /** This step's array for the input `name`, of `length` values (its contents are the caller's to write). */
  get(name: string, length: number): Float32Array {
    const slot = this.slots[this.turn]!;
    let array = slot.get(name);
    if (array?.length !== length) slot.set(name, (array = new Float32Array(length)));
    return array;
  }
}
