/**
 * The event subscriptions of one run of a host. Its generators subscribe while they are built; the
 * host then listens on the bus once per event name and hands each event to the generators whose
 * filters match. Hosts of one shape subscribe alike (the same filters, in the same order), so the
 * filters and tags are kept once per shape and each host keeps only its listeners: at 15,000
 * workers with 20 subscriptions each, a bus record per subscription held some 20 MB.
 */
import type { EmulatorEvent, EventBus, Listener, Subscription } from "../events/bus";
import type { HostShape } from "../model/types";
import type { EventFilter } from "../model/specs";

interface Table {
  readonly filters: readonly EventFilter[];
  readonly tags: readonly number[];
  readonly names: readonly string[];
}

/** The table of the first host of each shape that subscribed; later hosts share it when theirs is the same. */
const tablesByShape = new WeakMap<HostShape, Table>();

export class HostEvents implements Listener {
  private filters: EventFilter[] = [];
  private tags: number[] = [];
  private table: Table | undefined;
  private readonly listeners: Listener[] = [];
  private subscriptions: Subscription[] = [];

  add(filter: EventFilter, listener: Listener, tag: number): void {
    this.filters.push(filter);
    this.tags.push(tag);
    this.listeners.push(listener);
  }

  /** Starts listening, once the generators are built. */
  open(bus: EventBus, shape: HostShape): void {
    if (this.listeners.length === 0) return;
    const known = tablesByShape.get(shape);
    if (known && sameTable(known, this.filters, this.tags)) {
      this.table = known;
    } else {
      this.table = { filters: this.filters, tags: this.tags, names: [...new Set(this.filters.map((f) => f.event))] };
      if (!known) tablesByShape.set(shape, this.table);
    }
    this.filters = [];
    this.tags = [];
    this.subscriptions = this.table.names.map((name) => bus.subscribe({ event: name }, this));
  }

  close(bus: EventBus): void {
    for (const subscription of this.subscriptions) bus.unsubscribe(subscription);
    this.subscriptions = [];
  }

  onEvent(event: EmulatorEvent): void {
    const { filters, tags } = this.table!;
    for (let i = 0; i < filters.length; i++) {
      const filter = filters[i];
      if (filter.event !== event.name) continue;
      if (filter.source !== undefined && filter.source !== event.source) continue;
      if (filter.role !== undefined && filter.role !== event.role) continue;
      this.listeners[i].onEvent(event, tags[i]);
    }
  }
}

function sameTable(table: Table, filters: readonly EventFilter[], tags: readonly number[]): boolean {
  if (table.filters.length !== filters.length) return false;
  for (let i = 0; i < filters.length; i++) if (table.filters[i] !== filters[i] || table.tags[i] !== tags[i]) return false;
  return true;
}
