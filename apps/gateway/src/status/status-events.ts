import { Injectable } from '@nestjs/common';
import type { RoutedStatusPush } from './order-status-push';

export type StatusListener = (push: RoutedStatusPush) => void;

/** In-process fan-out of committed status changes by order id (feeds the SSE streams). */
@Injectable()
export class StatusEvents {
  private readonly listeners = new Map<string, Set<StatusListener>>();

  subscribe(orderId: string, listener: StatusListener): () => void {
    let set = this.listeners.get(orderId);
    if (!set) {
      set = new Set();
      this.listeners.set(orderId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(orderId) === set) this.listeners.delete(orderId);
    };
  }

  emit(push: RoutedStatusPush): void {
    for (const listener of this.listeners.get(push.orderId) ?? []) listener(push);
  }

  get streamCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }
}
