import type { DeclineCode, OrderStatus, PricedOrderLine, RejectionReason } from '@orderflow/contracts';

/** The saga events order-service applies, reduced to what the state machine needs. */
export type SagaEvent =
  | { type: 'InventoryReserved'; items: PricedOrderLine[]; totalCents: number; currency: string }
  | { type: 'InventoryRejected'; reason: RejectionReason }
  | { type: 'PaymentProcessed' }
  | { type: 'PaymentFailed'; reason: DeclineCode }
  | { type: 'InventoryReleased'; reason: string }
  | { type: 'ShipmentScheduled' };

export type SagaEventType = SagaEvent['type'];

export interface Pricing {
  items: PricedOrderLine[];
  totalCents: number;
  currency: string;
}

/**
 * What to do with an event given the order's current status:
 * - `apply`: the event's precondition holds; move to `to`.
 * - `park`: the precondition is not reached yet (the event overtook an earlier one); keep it.
 * - `stale`: the transition already happened (or can never happen): a no-op.
 */
export type Decision =
  | { kind: 'apply'; to: OrderStatus; reason: string | null; pricing?: Pricing }
  | { kind: 'park' }
  | { kind: 'stale' };

interface Rule {
  from: OrderStatus;
  /** Statuses that come before `from` on the event's path: the event waits there. */
  waitsIn: OrderStatus[];
  to: OrderStatus;
}

const RULES: Record<SagaEventType, Rule> = {
  InventoryReserved: { from: 'PENDING', waitsIn: [], to: 'INVENTORY_RESERVED' },
  InventoryRejected: { from: 'PENDING', waitsIn: [], to: 'REJECTED' },
  PaymentProcessed: { from: 'INVENTORY_RESERVED', waitsIn: ['PENDING'], to: 'PAID' },
  PaymentFailed: { from: 'INVENTORY_RESERVED', waitsIn: ['PENDING'], to: 'PAYMENT_FAILED' },
  InventoryReleased: { from: 'PAYMENT_FAILED', waitsIn: ['PENDING', 'INVENTORY_RESERVED'], to: 'CANCELLED' },
  ShipmentScheduled: { from: 'PAID', waitsIn: ['PENDING', 'INVENTORY_RESERVED'], to: 'SHIPPING_SCHEDULED' },
};

export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set([
  'SHIPPING_SCHEDULED',
  'REJECTED',
  'CANCELLED',
]);

export function decide(current: OrderStatus, event: SagaEvent): Decision {
  const rule = RULES[event.type];
  if (current === rule.from)
    return { kind: 'apply', to: rule.to, reason: reasonOf(event), ...pricingOf(event) };
  if (rule.waitsIn.includes(current)) return { kind: 'park' };
  return { kind: 'stale' };
}

function reasonOf(event: SagaEvent): string | null {
  switch (event.type) {
    case 'InventoryRejected':
    case 'PaymentFailed':
    case 'InventoryReleased':
      return event.reason;
    default:
      return null;
  }
}

function pricingOf(event: SagaEvent): { pricing?: Pricing } {
  if (event.type !== 'InventoryReserved') return {};
  return { pricing: { items: event.items, totalCents: event.totalCents, currency: event.currency } };
}

export type Transition = Extract<Decision, { kind: 'apply' }>;
export interface Step<P> {
  decision: Transition;
  /** The event that caused the step: the incoming one or a parked one. */
  source: P | 'incoming';
}
export interface Plan<P> {
  steps: Step<P>[];
  consumed: P[];
  /** The incoming event waits for its precondition. */
  parkIncoming: boolean;
}

/**
 * Applies `first` and then every parked event that became applicable, in the order they were
 * parked, until nothing moves. Returns the transitions in order and which parked events were
 * consumed (applied or found stale); the rest stay parked.
 */
export function plan<P extends { event: SagaEvent }>(
  current: OrderStatus,
  first: SagaEvent | undefined,
  parked: P[],
): Plan<P> {
  const steps: Step<P>[] = [];
  let status = current;
  let parkIncoming = false;
  if (first) {
    const decision = decide(status, first);
    if (decision.kind === 'park') parkIncoming = true;
    if (decision.kind === 'apply') {
      steps.push({ decision, source: 'incoming' });
      status = decision.to;
    }
  }
  const consumed: P[] = [];
  let pending = [...parked];
  let moved = steps.length > 0 || first === undefined;
  while (moved) {
    moved = false;
    const stillParked: P[] = [];
    for (const entry of pending) {
      const decision = decide(status, entry.event);
      if (decision.kind === 'park') {
        stillParked.push(entry);
        continue;
      }
      consumed.push(entry);
      if (decision.kind === 'apply') {
        steps.push({ decision, source: entry });
        status = decision.to;
        moved = true;
      }
    }
    pending = stillParked;
  }
  return { steps, consumed, parkIncoming };
}
