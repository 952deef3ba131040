/** Injection token of the validated configuration (CommonConfig plus the app's own variables). */
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
/** Injection token of the service's identity (name, default port, database). */
export const SERVICE_IDENTITY = Symbol('SERVICE_IDENTITY');
