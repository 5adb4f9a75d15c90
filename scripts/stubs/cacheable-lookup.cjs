// got's DNS cache, which geo-hook never enables (no `dnsCache` option).
class CacheableLookup {
  constructor() {
    throw new Error('the DNS cache is not built into geo-hook');
  }
}
module.exports = CacheableLookup;
module.exports.default = CacheableLookup;
