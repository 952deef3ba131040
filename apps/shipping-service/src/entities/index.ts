import { ShipmentRequestEntity } from './shipment-request.entity';
import { ShipmentEntity } from './shipment.entity';

export const SHIPPING_ENTITIES = [ShipmentRequestEntity, ShipmentEntity];
export { ShipmentRequestEntity, ShipmentEntity };
