import { Controller, Get, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { OrderSnapshot } from '@orderflow/contracts';
import { CurrentPrincipal, Principal } from '@orderflow/service-defaults';
import { OrderEntity } from '../order/order.entity';
import { toSnapshot } from '../order/order-snapshot';
import { decodeCursor, encodeCursor, parseLimit } from './order-cursor';

@Controller('orders')
export class ListOrdersController {
  constructor(private readonly dataSource: DataSource) {}

  /** The caller's orders, newest first, keyset-paged on (created_at, id). */
  @Get()
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query('limit') limitParam?: string,
    @Query('cursor') cursorParam?: string,
  ): Promise<{ items: OrderSnapshot[]; nextCursor: string | null }> {
    const limit = parseLimit(limitParam);
    const cursor = decodeCursor(cursorParam);
    const query = this.dataSource.manager
      .createQueryBuilder(OrderEntity, 'o')
      .where('o.customer_id = :customerId', { customerId: principal.customerId })
      .orderBy('o.created_at', 'DESC')
      .addOrderBy('o.id', 'DESC')
      .limit(limit + 1);
    if (cursor) query.andWhere('(o.created_at, o.id) < (:createdAt, :id)', cursor);
    const rows = await query.getMany();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toSnapshot),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
    };
  }
}
