import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OutboxWriter, SqlPart, statementOfCtes } from '@orderflow/messaging';
import { Coalescer, injectTraceContext } from '@orderflow/service-defaults';
import { OrderStatusRecorder } from '../order/order-status-recorder';
import type { NewOrder } from './new-order';

/** Most orders in one insert: bounds the statement and the outbox row it writes. */
const MAX_ORDERS_PER_INSERT = 100;

/**
 * Stores new orders with their events: one statement, its own transaction. The orders of POSTs
 * that arrive together, or while such an insert is in flight, share one statement and one commit
 * (ADR 0058); a POST with nothing to share with is inserted at once, alone. Each request is
 * answered only once its own order has committed. When a combined insert fails, each of its
 * orders is tried alone, so one order's failure is only its own.
 */
@Injectable()
export class OrderIntake {
  private readonly logger = new Logger(OrderIntake.name);
  private readonly coalescer: Coalescer<NewOrder, void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly recorder: OrderStatusRecorder,
  ) {
    this.coalescer = new Coalescer<NewOrder, void>({
      name: 'order-intake',
      together: (orders) => this.insertTogether(orders),
      alone: (order) => this.insert([order]),
      maxSize: MAX_ORDERS_PER_INSERT,
    });
  }

  /** Resolves once the order and its events have committed. */
  submit(newOrder: NewOrder): Promise<void> {
    // The insert may run in another request's async context: each event keeps its own trace.
    const events = newOrder.events.map((event) => ({ ...event, trace: event.trace ?? injectTraceContext() }));
    return this.coalescer.submit({ order: newOrder.order, events });
  }

  /**
   * The CTEs that insert `orders` and their events (`inserted`, `outbox_locked`, `outbox_rows`),
   * parameters numbered from `firstParam`; with `when` (a SQL condition), only if it holds.
   */
  insertCtes(orders: NewOrder[], firstParam: number, when?: string): SqlPart {
    const inserted = this.recorder.insertOrdersCte(
      orders.map(({ order }) => order),
      firstParam,
      when,
    );
    const outbox = this.outbox.insertCte(
      orders.flatMap(({ events }) => events),
      firstParam + inserted.params.length,
      when,
    );
    return { sql: `${inserted.sql}, ${outbox.sql}`, params: [...inserted.params, ...outbox.params] };
  }

  private async insert(orders: NewOrder[]): Promise<void> {
    const { sql, params } = statementOfCtes(this.insertCtes(orders, 1));
    await this.dataSource.query(sql, params);
  }

  /** Undefined, so that each goes alone, when the combined insert failed. */
  private async insertTogether(orders: NewOrder[]): Promise<void[] | undefined> {
    try {
      await this.insert(orders);
      return orders.map(() => undefined);
    } catch (error) {
      this.logger.warn(
        `inserting ${orders.length} orders together failed (${(error as Error).message}); inserting each alone`,
      );
      return undefined;
    }
  }
}
