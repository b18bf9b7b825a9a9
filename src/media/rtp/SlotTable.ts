/** One growable table of fixed-size slots in an ArrayBuffer (8-byte aligned, as the native side checks). */
export class SlotTable {
  readonly #slotBytes: number;
  buffer: Buffer;
  u32: Uint32Array;
  i32: Int32Array;
  f64: Float64Array;
  readonly #free: number[] = [];
  #next = 0;

  constructor(slotBytes: number, slots: number) {
    this.#slotBytes = slotBytes;
    this.buffer = Buffer.from(new ArrayBuffer(slotBytes * slots));
    this.u32 = new Uint32Array(this.buffer.buffer);
    this.i32 = new Int32Array(this.buffer.buffer);
    this.f64 = new Float64Array(this.buffer.buffer);
  }

  /** A zeroed slot. */
  alloc(): number {
    const slot = this.#free.pop() ?? this.#next++;
    const need = (slot + 1) * this.#slotBytes;
    if (need > this.buffer.length) {
      const grown = Buffer.from(new ArrayBuffer(Math.max(need, this.buffer.length * 2)));
      this.buffer.copy(grown);
      this.buffer = grown;
      this.u32 = new Uint32Array(grown.buffer);
      this.i32 = new Int32Array(grown.buffer);
      this.f64 = new Float64Array(grown.buffer);
    }
    this.buffer.fill(0, slot * this.#slotBytes, need);
    return slot;
  }

  free(slot: number): void {
    this.buffer.fill(0, slot * this.#slotBytes, (slot + 1) * this.#slotBytes);
    this.#free.push(slot);
  }

  /** Slots in use. */
  get used(): number {
    return this.#next - this.#free.length;
  }
}
