/**
 * A timeline of actions in scenario time: a binary min-heap ordered by time, then by insertion, so
 * that equal times always run in the same order (determinism does not depend on the heap's shape).
 * The keys live in typed arrays beside the timers: at 10,000 hosts a sift compares contiguous
 * numbers instead of chasing a pointer per level, which is most of what a tick costs.
 */

/** A timer object can be scheduled again after it fired: a host's ticks reuse one, allocating nothing per tick. */
export interface Timer {
  at: number;
  fire(): void;
}

export class Scheduler {
  private timers: Timer[] = [];
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private size = 0;
  private seq = 0;
  /** Scenario time of the action running now, or of the last advance. */
  now = 0;

  schedule(at: number, action: () => void): void {
    this.reschedule({ at, fire: action }, at);
  }

  /** Puts a timer (not currently pending) on the timeline at `at` (never before now). */
  reschedule(timer: Timer, at: number): void {
    timer.at = Math.max(at, this.now);
    if (this.size === this.times.length) this.grow();
    this.siftUp(this.size++, timer, timer.at, this.seq++);
  }

  /** Runs every action due at or before t, in order (actions may schedule more), then sets the clock to t. */
  advanceTo(t: number): void {
    while (this.size > 0 && this.times[0] <= t) {
      const timer = this.timers[0];
      this.now = this.times[0];
      this.removeTop();
      timer.fire();
    }
    if (t > this.now) this.now = t;
  }

  /** Whether the entry at i runs before (at, seq). */
  private before(i: number, at: number, seq: number): boolean {
    return this.times[i] < at || (this.times[i] === at && this.seqs[i] < seq);
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from];
    this.seqs[to] = this.seqs[from];
    this.timers[to] = this.timers[from];
  }

  private place(i: number, timer: Timer, at: number, seq: number): void {
    this.times[i] = at;
    this.seqs[i] = seq;
    this.timers[i] = timer;
  }

  private siftUp(i: number, timer: Timer, at: number, seq: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.before(parent, at, seq)) break;
      this.move(parent, i);
      i = parent;
    }
    this.place(i, timer, at, seq);
  }

  private removeTop(): void {
    const n = --this.size;
    const at = this.times[n];
    const seq = this.seqs[n];
    const timer = this.timers[n];
    this.timers.length = n;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.before(child + 1, this.times[child], this.seqs[child])) child++;
      if (!this.before(child, at, seq)) break;
      this.move(child, i);
      i = child;
    }
    this.place(i, timer, at, seq);
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    const seqs = new Float64Array(this.seqs.length * 2);
    seqs.set(this.seqs);
    this.times = times;
    this.seqs = seqs;
  }
}
