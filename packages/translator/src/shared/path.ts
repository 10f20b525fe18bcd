/** Upstream path helpers shared by translators. */

/**
 * `/<prefix><suffix>` with slashes around `prefix` tolerated: `('v1', '/embeddings')`,
 * `('/v1/', …)` and `('v1/', …)` all give `/v1/embeddings`; `''` gives `suffix` alone.
 */
export function prefixedPath(prefix: string, suffix: string): string {
  let from = 0;
  let to = prefix.length;
  while (from < to && prefix[from] === '/') {
    from++;
  }
  while (to > from && prefix[to - 1] === '/') {
    to--;
  }
  return from === to ? suffix : `/${prefix.slice(from, to)}${suffix}`;
}

/** The query string of `path` including its `?`, or `''`. */
export function queryOf(path: string): string {
  const query = path.indexOf('?');
  return query === -1 ? '' : path.slice(query);
}

/** Azure OpenAI's `path?api-version=<version>`, or `path` alone when there is no version. */
export function withApiVersion(path: string, apiVersion: string | undefined): string {
  return apiVersion === undefined || apiVersion === ''
    ? path
    : `${path}?api-version=${encodeURIComponent(apiVersion)}`;
}
