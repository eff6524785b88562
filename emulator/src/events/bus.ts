/**
 * Named events with a source host. Toggles emit them on their edges, hosts emit host_started and
 * host_stopped; generators and hosts subscribe, optionally narrowed to one source host or role.
 * Delivery is synchronous, at the scenario time the event happened.
 */
import type { EventFilter } from "../model/specs";

/** The events every host emits as it starts and stops. */
export const HOST_STARTED = "host_started";
export const HOST_STOPPED = "host_stopped";

export interface EmulatorEvent {
  readonly name: string;
  /** Name of the host that emitted it. */
  readonly source: string;
  /** Role of that host. */
  readonly role: string;
  /** Scenario time in milliseconds. */
  readonly time: number;
}

/**
 * Who hears an event: an object with a method rather than a closure. At 15,000 hosts a dozen
 * subscriptions per host as closures (a handler and a disposer, each with its context) held some
 * 60 MB; a listener object plus a tag that tells its subscriptions apart costs one small record each.
 */
export interface Listener {
  onEvent(event: EmulatorEvent, tag: number): void;
}

export class Subscription {
  active = true;
  constructor(
    readonly filter: EventFilter,
    readonly listener: Listener,
    /** Handed back to the listener: which of its subscriptions matched. */
    readonly tag: number,
  ) {}
}

export class EventBus {
  private readonly byName = new Map<string, Subscription[]>();
  private inactive = 0;

  /** A function is wrapped as a listener (for the few one-off subscriptions). */
  subscribe(filter: EventFilter, listener: Listener | ((event: EmulatorEvent) => void), tag = 0): Subscription {
    const subscription = new Subscription(filter, typeof listener === "function" ? { onEvent: listener } : listener, tag);
    const list = this.byName.get(filter.event);
    if (list) list.push(subscription);
    else this.byName.set(filter.event, [subscription]);
    return subscription;
  }

  unsubscribe(subscription: Subscription): void {
    if (!subscription.active) return;
    subscription.active = false;
    this.inactive++;
  }

  emit(event: EmulatorEvent): void {
    const list = this.byName.get(event.name);
    if (!list) return;
    // Handlers may subscribe or unsubscribe (a host starting or stopping); those added now hear the next event.
    const count = list.length;
    for (let i = 0; i < count; i++) {
      const subscription = list[i];
      if (!subscription.active) continue;
      const { filter } = subscription;
      if (filter.source !== undefined && filter.source !== event.source) continue;
      if (filter.role !== undefined && filter.role !== event.role) continue;
      subscription.listener.onEvent(event, subscription.tag);
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
