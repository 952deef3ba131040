/*
 * Event contracts shared by every service. The single source is the JSON Schemas in
 * asyncapi/schemas, referenced by asyncapi/asyncapi.yaml: the payload types are generated from
 * them (./generated, `npm run contracts:generate`) and `validateEvent` validates against them.
 * See docs/adr/0020-event-contracts-asyncapi-and-json-schema.md.
 */
export * from './topics';
export * from './event-catalog';
export * from './event-validation';
export * from './generated/event-payloads';
