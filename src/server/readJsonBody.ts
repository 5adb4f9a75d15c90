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
 * Reads a JSON request body, refusing anything larger than maxBytes (413),
 * of a shape no API body has (400, before it is parsed), or not JSON (400).
 */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new BodyError(413, `body larger than ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new BodyError(413, `body larger than ${maxBytes} bytes`);
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
}
