import type { Transport } from '../transports/transport.js';

/** Base of every resource: a namespace of one-line methods over the transport. */
export abstract class Resource {
  constructor(protected readonly transport: Transport) {}
}
