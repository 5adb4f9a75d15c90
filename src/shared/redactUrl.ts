/**
 * A text as it may be shown: in every URL in it, a password replaced by ***, the user kept
 * (http://deploy:***@host), and so is a Sentinel password given as a query
 * parameter (redis+sentinel://…/geo?sentinelPassword=***).
 */
export function redactUrl(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/gi, (_whole, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return `${scheme}${colon === -1 ? userinfo : `${userinfo.slice(0, colon)}:***`}@`;
    })
    .replace(/([?&](?:sentinelPassword|password)=)[^&#\s]*/gi, '$1***');
}
