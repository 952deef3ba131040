import { env, EnvSpec } from '@orderflow/service-defaults';

export interface NotificationConfig {
  /** `smtp://[user:pass@]host[:port]` or `smtps://…`; unset → the logging/recording channel. */
  SMTP_URL: string | undefined;
  SMTP_FROM: string;
  NOTIFICATION_EMAIL_DOMAIN: string;
}

export const NOTIFICATION_CONFIG: EnvSpec<NotificationConfig> = {
  SMTP_URL: env.optionalUrl({ protocols: ['smtp', 'smtps'] }),
  SMTP_FROM: env.string({
    default: 'orderflow <no-reply@orderflow.local>',
    pattern: /^[^\r\n]*<?[^\s<>@]+@[^\s<>@]+>?$/,
  }),
  NOTIFICATION_EMAIL_DOMAIN: env.string({
    default: 'customers.orderflow.local',
    pattern: /^[A-Za-z0-9.-]+$/,
  }),
};
