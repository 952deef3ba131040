import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { OrderSnapshot } from '@orderflow/contracts';
import { CurrentPrincipal, Principal } from '@orderflow/service-defaults';
import { OrderEntity } from '../order/order.entity';
import { toSnapshot } from '../order/order-snapshot';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Controller('orders')
export class GetOrderController {
  constructor(private readonly dataSource: DataSource) {}

  /** Owner or admin; someone else's order answers exactly like an unknown one. */
  @Get(':orderId')
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('orderId') orderId: string,
  ): Promise<OrderSnapshot> {
    const order = UUID.test(orderId)
      ? await this.dataSource.manager.findOneBy(OrderEntity, { id: orderId })
      : null;
    if (!order || (order.customerId !== principal.customerId && !principal.isAdmin)) {
      throw new NotFoundException(`Order ${orderId} not found`);
    }
    return toSnapshot(order);
  }
}
