import { Controller, Get, Query } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { CurrentPrincipal, parseOrderIdQuery, Principal } from '@orderflow/service-defaults';
import { ShipmentEntity } from '../entities/shipment.entity';

/**
 * GET /shipments?orderId= → the order's shipment (at most one) for its owner or an admin. Someone
 * else's order answers exactly like an unknown one: `{ items: [], nextCursor: null }`.
 */
@Controller('shipments')
export class ShipmentsController {
  constructor(@InjectRepository(ShipmentEntity) private readonly shipments: Repository<ShipmentEntity>) {}

  @Get()
  async list(@CurrentPrincipal() principal: Principal, @Query('orderId') rawOrderId: unknown) {
    const orderId = parseOrderIdQuery(rawOrderId);
    const rows = await this.shipments.find({
      where: principal.isAdmin ? { orderId } : { orderId, customerId: principal.customerId },
      order: { createdAt: 'ASC' },
    });
    return {
      items: rows.map((s) => ({
        shipmentId: s.id,
        orderId: s.orderId,
        customerId: s.customerId,
        carrier: s.carrier,
        trackingNumber: s.trackingNumber,
        shippingAddress: s.address,
        createdAt: s.createdAt.toISOString(),
      })),
      nextCursor: null,
    };
  }
}
