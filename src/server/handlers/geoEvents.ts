import type { IncomingMessage } from 'node:http';
import type { EventPage, ReplicationEvent } from '../stores/replicationStore.js';
import { type Handler, errorAnswer, jsonAnswer } from '../serverContext.js';
import { validateEventsQuery } from '../validateReplication.js';

/**
 * GET /api/v4/internal/geo/events (node credential): the events after a
 * cursor, or, when there are none yet, a long poll woken by the next append
 * through any server on the store (contract section 11).
 */
export const listEvents: Handler = async (request, _params, record, context) => {
  const query = validateEventsQuery(new URL(request.url ?? '/', 'http://x').searchParams, (text) => context.replication.isEventId(text));
  if ('error' in query) return errorAnswer(400, query.error);
  Object.assign(record, { after: query.after, wait: query.waitSeconds });
  let page: EventPage;
  try {
    page = await context.replication.readEvents(query);
    if (page.events.length === 0 && !page.resync && query.waitSeconds > 0) {
      const gone = clientGone(request);
      try {
        await Promise.race([context.replication.waitForEvent(page.last, query.waitSeconds * 1000), gone.closed]);
      } finally {
        gone.forget();
      }
      page = await context.replication.readEvents(query);
    }
  } catch (error) {
    record.note = `replication store unavailable: ${(error as Error).message}`;
    context.metrics?.storeError();
    return errorAnswer(503, '503 replication store unavailable');
  }
  Object.assign(record, { events: page.events.length, ...(page.resync && { resync: true }) });
  return jsonAnswer(200, { log: page.log, events: page.events.map(eventJson), last: page.last, resync: page.resync });
};

function eventJson(event: ReplicationEvent) {
  return { id: event.id, gl_repository: event.glRepository, path: event.path, created_at: event.createdAt };
}

/**
 * A long poll whose client went away ends with it. The listener is taken off
 * when the poll ends: a kept-alive connection carries poll after poll.
 */
function clientGone(request: IncomingMessage): { closed: Promise<void>; forget(): void } {
  let onClose = () => {};
  const closed = new Promise<void>((resolve) => {
    onClose = () => resolve();
    if (request.socket.destroyed) resolve();
    else request.socket.once('close', onClose);
  });
  return { closed, forget: () => request.socket.off('close', onClose) };
}
