import type { Transport } from '../transports/transport.js';
import type { Page } from '../store/pagination.js';

/** Base of every resource: a namespace of one-line methods over the transport. */
export abstract class Resource {
  constructor(protected readonly transport: Transport) {}
}

/** Walks every page of a keyset-paginated list. */
export async function* paginate<T, Q extends object>(fetchPage: (query: Q & { cursor?: string | null }) => Promise<Page<T>>, query: Q): AsyncGenerator<T> {
  let cursor: string | null | undefined;
  do {
    const page = await fetchPage({ ...query, cursor });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor !== null);
}
