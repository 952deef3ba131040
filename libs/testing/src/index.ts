export * from './wait-for';
export * from './names';
export * from './infra';
export * from './app-supervisor';
