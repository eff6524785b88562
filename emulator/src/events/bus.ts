/**
 * Named events with a source host. Toggles emit them on their edges, hosts emit host_started and
 * host_stopped; generators and hosts subscribe, optionally narrowed to one source host or role.
 * Delivery is synchronous, at the scenario time the event happened.
 */
import type { EventFilter } from "../scenario/schema";

export interface EmulatorEvent {
  readonly name: string;
  /** Name of the host that emitted it. */
  readonly source: string;
  /** Role of that host. */
  readonly role: string;
  /** Scenario time in milliseconds. */
  readonly time: number;
}

interface Subscription {
  readonly filter: EventFilter;
  readonly handler: (event: EmulatorEvent) => void;
  active: boolean;
}

export class EventBus {
  private readonly byName = new Map<string, Subscription[]>();
  private inactive = 0;

  /** Returns the function that ends the subscription. */
  subscribe(filter: EventFilter, handler: (event: EmulatorEvent) => void): () => void {
    const subscription: Subscription = { filter, handler, active: true };
    const list = this.byName.get(filter.event);
    if (list) list.push(subscription);
    else this.byName.set(filter.event, [subscription]);
    return () => {
      if (!subscription.active) return;
      subscription.active = false;
      this.inactive++;
    };
  }

  emit(event: EmulatorEvent): void {
    const list = this.byName.get(event.name);
    if (!list) return;
    // Handlers may subscribe or unsubscribe (a host starting or stopping); those added now hear the next event.
    const count = list.length;
    for (let i = 0; i < count; i++) {
      const { filter, handler, active } = list[i];
      if (!active) continue;
      if (filter.source !== undefined && filter.source !== event.source) continue;
      if (filter.role !== undefined && filter.role !== event.role) continue;
      handler(event);
    }
    if (this.inactive > 1024) this.compact();
  }

  private compact(): void {
    for (const [name, list] of this.byName) {
      const kept = list.filter((s) => s.active);
      if (kept.length) this.byName.set(name, kept);
      else this.byName.delete(name);
    }
    this.inactive = 0;
  }
}
