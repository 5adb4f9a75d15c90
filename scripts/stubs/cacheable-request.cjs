// got's response cache, which geo-hook never enables (no `cache` option).
class CacheableRequest {
  constructor() {
    throw new Error('the response cache is not built into geo-hook');
  }
}
class CacheError extends Error {}
module.exports = CacheableRequest;
module.exports.default = CacheableRequest;
module.exports.CacheError = CacheError;
