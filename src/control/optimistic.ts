import { AwsError } from '../gateway/errors.js';

// Optimistic concurrency: a transaction reads rows with their `version`,
// writes them back only `where version = <read>`, and throws VersionConflict
// when another writer got there first. The whole transaction then runs again
// on fresh reads. With SQLite's serialized writers a conflict needs another
// process on the same file; with PostgreSQL, another replica.

export class VersionConflict extends Error {
  constructor(what: string) {
    super(`${what} changed while this request was using it`);
  }
}

export async function retryOnConflict<T>(run: () => Promise<T>, attempts = 25): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      if (!(e instanceof VersionConflict)) throw e;
      if (attempt >= attempts) {
        throw new AwsError('ServerException', 'The request conflicted with concurrent changes too many times. Retry the request.', { status: 500 });
      }
      // A little jitter keeps racing replicas from colliding in lockstep.
      await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
    }
  }
}
