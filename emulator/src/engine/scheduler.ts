/**
 * A timeline of actions in scenario time: a binary min-heap ordered by time, then by insertion, so
 * that equal times always run in the same order (determinism does not depend on the heap's shape).
 */
interface Entry {
  readonly at: number;
  readonly seq: number;
  readonly action: () => void;
}

export class Scheduler {
  private readonly heap: Entry[] = [];
  private seq = 0;
  /** Scenario time of the action running now, or of the last advance. */
  now = 0;

  schedule(at: number, action: () => void): void {
    const entry: Entry = { at: Math.max(at, this.now), seq: this.seq++, action };
    const heap = this.heap;
    let i = heap.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = entry;
  }

  /** Runs every action due at or before t, in order (actions may schedule more), then sets the clock to t. */
  advanceTo(t: number): void {
    const heap = this.heap;
    while (heap.length > 0 && heap[0].at <= t) {
      const entry = this.pop();
      this.now = entry.at;
      entry.action();
    }
    if (t > this.now) this.now = t;
  }

  get pending(): number {
    return this.heap.length;
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && before(heap[right], heap[left]) ? right : left;
        if (!before(heap[child], last)) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
