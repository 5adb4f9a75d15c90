// got imports http2-wrapper for HTTP/2, which geo-hook turns off (http2: false).
// Importing the real one opens a TLS socket at once, loading every root
// certificate: about 35 ms of every hook run. This stands in for it.
function unavailable() {
  throw new Error('HTTP/2 is not built into geo-hook');
}
module.exports = { auto: unavailable, globalAgent: undefined, Agent: unavailable, request: unavailable, get: unavailable };
