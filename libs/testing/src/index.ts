export * from './wait-for';
export * from './names';
export * from './infra';
export * from './app-supervisor';
export * from './saga-stack';
export * from './http-client';
export * from './order-status-feed';
export * from './sse-client';
