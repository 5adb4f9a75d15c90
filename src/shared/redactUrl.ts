/**
 * A text as it may be shown: in every URL in it, a password replaced by ***, the user kept
 * (http://deploy:***@host), and so is a Sentinel password given as a query
 * parameter (redis+sentinel://…/geo?sentinelPassword=***).
 */
export function redactUrl(text: string): string {
  return text
    // After every "://", up to an "@" before any "/": the userinfo (the scheme before it is kept as it is).
    .replace(/:\/\/([^/@\s]*)@/g, (_whole, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return `://${colon === -1 ? userinfo : `${userinfo.slice(0, colon)}:***`}@`;
    })
    .replace(/([?&](?:sentinelPassword|password)=)[^&#\s]*/gi, '$1***');
}
