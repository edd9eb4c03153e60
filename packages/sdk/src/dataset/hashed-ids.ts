/**
 * A set of ids kept as two 32-bit hashes each, in an open-addressed table: about 16 bytes an id
 * where a million ids as strings would weigh ~100 MB. `add` says whether an id is surely new;
 * two ids of the same two hashes are taken for one, so a caller must treat « maybe seen » as a
 * question to ask elsewhere (the import: its unique index), never as a duplicate found.
 */
export class HashedIds {
  // Slot i holds the pair (first[i], second[i]); second is never 0, which marks an empty slot.
  private first = new Uint32Array(1024);
  private second = new Uint32Array(1024);
  private size = 0;

  /** Adds `id`: true when it was surely not added before, false when it may have been. */
  add(id: string): boolean {
    // FNV-1a, and a multiply-and-shift hash of the same characters: two hashes that rarely agree.
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let index = 0; index < id.length; index++) {
      const code = id.charCodeAt(index);
      a = Math.imul(a ^ code, 0x01000193);
      b = Math.imul(b ^ code, 0x5bd1e995);
      b ^= b >>> 15;
    }
    a >>>= 0;
    b = (b | 1) >>> 0;
    if (this.size * 2 >= this.first.length) this.grow();
    return this.place(a, b);
  }

  private place(a: number, b: number): boolean {
    const mask = this.first.length - 1;
    for (let slot = a & mask; ; slot = (slot + 1) & mask) {
      if (this.second[slot] === 0) {
        this.first[slot] = a;
        this.second[slot] = b;
        this.size += 1;
        return true;
      }
      if (this.first[slot] === a && this.second[slot] === b) return false;
    }
  }

  private grow(): void {
    const [first, second] = [this.first, this.second];
    this.first = new Uint32Array(first.length * 2);
    this.second = new Uint32Array(second.length * 2);
    this.size = 0;
    for (let slot = 0; slot < first.length; slot++) if (second[slot] !== 0) this.place(first[slot]!, second[slot]!);
  }
}
