/** The only interface the inspector listens on. */
export const INSPECTOR_HOST = '127.0.0.1';

/** True for an IPv4 loopback address, also when written IPv4-mapped (`::ffff:127.0.0.1`), and for `::1`. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * True when the request's `Host` names this server by a loopback name.
 * A page on another site whose DNS name is rebound to 127.0.0.1 would send its
 * own name here: refusing it keeps other sites from reading the stream.
 */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const allowed = [`${INSPECTOR_HOST}:${port}`, `localhost:${port}`];
  return allowed.includes(host.toLowerCase());
}
