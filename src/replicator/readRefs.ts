import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { sendRequest } from '../hook/sendRequest.js';
import { type AdvertisedRefs, parseRefsAdvertisement } from './refsAdvertisement.js';

/** How the replicator asks the primary for a repository's refs as the node itself. */
export interface PrimaryRefsRequest {
  readonly authorization: () => string;
  readonly caCertificate?: string | undefined;
  readonly timeoutMs: number;
  readonly version?: string;
}

/** A ref advertisement is bounded as the API's answers are. */
const MAX_ADVERTISEMENT_BYTES = 64 * 1024 * 1024;

/**
 * A repository's refs and HEAD as the primary advertises them (protocol v0,
 * `GET <repository URL>/info/refs?service=git-upload-pack`: one request, no
 * git process); undefined for anything else, or when it cannot be asked now.
 */
export async function primaryRefs(request: PrimaryRefsRequest, repositoryUrl: string): Promise<AdvertisedRefs | undefined> {
  try {
    const url = `${repositoryUrl}/info/refs?service=git-upload-pack`;
    const { answer } = await sendRequest(
      { method: 'GET', url, displayUrl: url, headers: { authorization: request.authorization(), 'user-agent': `geo-hook/${request.version ?? 'replicate'}` } },
      { deadline: Date.now() + request.timeoutMs, caCertificate: request.caCertificate, maxBodyBytes: MAX_ADVERTISEMENT_BYTES },
    );
    if (answer.status !== 200 || answer.contentType !== 'application/x-git-upload-pack-advertisement') return undefined;
    // The body came as UTF-8 text: exact for ref names that are UTF-8; any other makes the parse fail (undefined).
    return parseRefsAdvertisement(Buffer.from(answer.body, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * A replica's HEAD (`ref: …` in a bare repository; '' when detached), read
 * without following a link or waiting on a FIFO; undefined when there is none.
 */
export async function replicaHead(dir: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path.join(dir, 'HEAD'), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (!(await handle.stat()).isFile()) return undefined;
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return /^ref: (\S+)$/.exec(buffer.subarray(0, bytesRead).toString('utf8').trim())?.[1] ?? '';
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}
