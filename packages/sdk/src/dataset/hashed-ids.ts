import { fnv1a64 } from '../fnv.js';

/**
 * A set of ids kept as their two 32-bit hashes (`fnv1a64`), in an open-addressed table at most
 * half full: 16 to 32 bytes an id, outside the JavaScript heap (16 MB for a million, 24 MB while
 * it grows to that), where a million ids as strings would weigh ~100 MB on it. `add` says whether
 * an id is surely new; two ids of the same two hashes are taken for one, so a caller treats « maybe
 * seen » as a question to ask elsewhere (the import: its unique index), never as a duplicate found.
 */
export class HashedIds {
  // Slot i holds the pair (low[i], high[i]); high is never 0, which marks an empty slot.
  private low = new Uint32Array(1024);
  private high = new Uint32Array(1024);
  private size = 0;

  /** Adds `id`: true when it was surely not added before, false when it may have been. */
  add(id: string): boolean {
    const [low, high] = fnv1a64(id);
    if (this.size * 2 >= this.low.length) this.grow();
    return this.place(low, (high | 1) >>> 0);
  }

  private place(low: number, high: number): boolean {
    const mask = this.low.length - 1;
    for (let slot = low & mask; ; slot = (slot + 1) & mask) {
      if (this.high[slot] === 0) {
        this.low[slot] = low;
        this.high[slot] = high;
        this.size += 1;
        return true;
      }
      if (this.low[slot] === low && this.high[slot] === high) return false;
    }
  }

  private grow(): void {
    const [low, high] = [this.low, this.high];
    this.low = new Uint32Array(low.length * 2);
    this.high = new Uint32Array(high.length * 2);
    this.size = 0;
    for (let slot = 0; slot < low.length; slot++) if (high[slot] !== 0) this.place(low[slot]!, high[slot]!);
  }
}
