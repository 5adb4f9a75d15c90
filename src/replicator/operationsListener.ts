import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseListen } from '../config/options.js';
import { UsageError } from '../errors.js';
import { type ReplicatorMetrics, replicatorReadiness } from './replicatorMetrics.js';

/**
 * `/-/liveness`, `/-/readiness` and `/-/metrics` of the replicator on
 * `metricsListen` (loopback unless told otherwise): GET only, no credential,
 * no secret in any answer.
 */
export async function listenForOperations(address: string, metrics: ReplicatorMetrics, reportIntervalSeconds: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const answer = (status: number, body: string, contentType = 'application/json') => {
      response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body);
    };
    const pathname = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') answer(405, JSON.stringify({ message: '405 Method Not Allowed' }));
    else if (pathname === '/-/liveness') answer(200, JSON.stringify({ status: 'ok' }));
    else if (pathname === '/-/readiness') {
      const { ready, status } = replicatorReadiness(metrics.state(), Date.now(), reportIntervalSeconds);
      answer(ready ? 200 : 503, JSON.stringify({ status }));
    } else if (pathname === '/-/metrics') {
      metrics.registry.metrics().then(
        (text) => answer(200, text, metrics.registry.contentType),
        () => answer(500, JSON.stringify({ message: 'metrics unavailable' })),
      );
    } else answer(404, JSON.stringify({ message: '404 Not Found' }));
  });
  // Slow or idle clients do not hold the replicator's sockets for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  const listen = parseListen(address)!;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new UsageError(`cannot listen on ${address}: ${error.code === 'EADDRINUSE' ? 'address in use' : error.message}`, 'ELISTEN', error)));
    if ('socketPath' in listen) server.listen(listen.socketPath, resolve);
    else server.listen(listen.port, listen.host, resolve);
  });
  const bound = server.address();
  const url = 'socketPath' in listen ? `http+unix://${encodeURIComponent(listen.socketPath)}` : `http://${hostForUrl((bound as AddressInfo).address)}:${(bound as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
