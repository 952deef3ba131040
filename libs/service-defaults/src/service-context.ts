import type { CommonConfig, ServiceIdentity } from './config/service-config';

interface ServiceContext {
  identity: ServiceIdentity;
  config: CommonConfig;
}

let current: ServiceContext | undefined;

/** Set once by runService (or a test) before the Nest application is created. */
export function setServiceContext(identity: ServiceIdentity, config: CommonConfig): void {
  current = { identity, config };
}

export function serviceContext(): ServiceContext {
  if (!current) throw new Error('service context is not set: start the app through runService()');
  return current;
}
