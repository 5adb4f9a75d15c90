import type { IncomingMessage } from 'node:http';
import { checkJsonShape } from './jsonShape.js';

export class BodyError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * nginx's status for "the client closed the request": logged and counted,
 * never sent (nobody is there to read it), and not a 500 of ours.
 */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * The bytes of request bodies all requests together may hold while they are
 * read and parsed: --max-connections times the 32 MiB limit would be 32 GiB.
 * Past it a request is answered 503 at once, which the hook retries.
 */
export class BodyBudget {
  #used = 0;
  constructor(readonly limitBytes: number) {}

  /** Takes bytes from the budget; false when they are not there. */
  take(bytes: number): boolean {
    if (this.#used + bytes > this.limitBytes) return false;
    this.#used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#used -= bytes;
  }
}

export const BODY_BUDGET_BYTES = 256 * 1024 * 1024;
const BUSY = 'the server is reading too many large bodies at once: try again';

/**
 * Reads a JSON request body, refusing anything larger than maxBytes (413),
 * of a shape no API body has (400, before it is parsed), or not JSON (400);
 * 503 when the server holds its budget of bodies already.
 */
export async function readJsonBody(request: IncomingMessage, maxBytes: number, budget?: BodyBudget): Promise<unknown> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new BodyError(413, `body larger than ${maxBytes} bytes`);
  // What the body says it will be is taken at once; a body of no declared length, as it comes.
  let taken = 0;
  const take = (bytes: number) => {
    if (budget !== undefined && !budget.take(bytes)) throw new BodyError(503, BUSY);
    taken += bytes;
  };
  try {
    if (declared > 0) take(declared);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of request as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) throw new BodyError(413, `body larger than ${maxBytes} bytes`);
        if (size > taken) take(size - taken);
        chunks.push(chunk);
      }
    } catch (error) {
      if (error instanceof BodyError) throw error;
      throw new BodyError(CLIENT_CLOSED_REQUEST, `the client went away after ${size} bytes of the body`);
    }
    const body = Buffer.concat(chunks);
    const shape = checkJsonShape(body);
    if (shape !== undefined) throw new BodyError(400, shape);
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      throw new BodyError(400, 'body is not JSON');
    }
  } finally {
    budget?.give(taken);
  }
}
