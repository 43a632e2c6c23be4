/** A fixed-capacity FIFO that drops its oldest item when full; O(1) push, no per-push allocation. */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.items = new Array(Math.max(0, capacity));
  }

  /** Adds `item`; returns the oldest item when it had to make room for it. */
  push(item: T): T | undefined {
    if (this.capacity === 0) return undefined;
    if (this.size < this.capacity) {
      this.items[(this.start + this.size++) % this.capacity] = item;
      return undefined;
    }
    const dropped = this.items[this.start];
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
    return dropped;
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.start];
    this.items[this.start] = undefined;
    this.start = (this.start + 1) % this.capacity;
    this.size--;
    return item;
  }

  toArray(): T[] {
    const out: T[] = new Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.items[(this.start + i) % this.capacity] as T;
    return out;
  }

  get length(): number {
    return this.size;
  }
}
