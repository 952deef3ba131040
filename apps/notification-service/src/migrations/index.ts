import { NotificationSchema1764400000000 } from './notification-schema.migration';

export const NOTIFICATION_MIGRATIONS = [NotificationSchema1764400000000];
