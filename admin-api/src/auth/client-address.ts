// The client's address: the socket's peer, or what trusted reverse proxies forwarded, never a header anyone can set.
import { BlockList, isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/** Stands for a request that came with no socket (in-process calls, tests). */
export const UNKNOWN_ADDRESS = 'unknown';

/** IPv4 clients of a dual-stack socket appear as `::ffff:a.b.c.d`; they are the same client as `a.b.c.d`. */
function normalize(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  return mapped ? mapped[1]! : trimmed;
}

/**
 * Parses `TRUST_PROXY`: a comma-separated list of addresses and CIDR ranges (`127.0.0.1`, `::1`,
 * `10.0.0.0/8`, `fd00::/8`). Empty means no proxy is trusted. Throws naming the first bad entry.
 */
export function parseTrustedProxies(spec: string): string[] {
  const entries = spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new Error(`"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1)`);
    }
  }
  return entries;
}

/** The reverse proxies whose `X-Forwarded-For` is believed. */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  /** `entries` as {@link parseTrustedProxies} returns them. */
  constructor(entries: readonly string[]) {
    this.#empty = entries.length === 0;
    for (const entry of entries) {
      const [address = '', prefix] = entry.split('/');
      const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.#list.addAddress(address, type);
      else this.#list.addSubnet(address, Number(prefix), type);
    }
  }

  /** True when `address` (a literal IP) is one of the trusted proxies. */
  trusts(address: string): boolean {
    if (this.#empty) return false;
    const normalized = normalize(address);
    const family = isIP(normalized);
    if (family === 0) return false;
    return this.#list.check(normalized, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** The socket's peer address, or undefined for a request that came with no socket. */
function peerAddress(c: Context): string | undefined {
  try {
    const address = getConnInfo(c).remote.address;
    return address ? normalize(address) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The client's address. Without trusted proxies it is the socket's peer: `X-Forwarded-For` is
 * ignored, since any client can send it. When the peer is a trusted proxy, the header is read from
 * the nearest hop backwards and the first address that is not a trusted proxy is the client; a
 * malformed hop stops the walk at the proxy that forwarded it.
 */
export function clientAddress(c: Context, proxies: TrustedProxies): string {
  const peer = peerAddress(c);
  if (!peer) return UNKNOWN_ADDRESS;
  if (!proxies.trusts(peer)) return peer;
  const hops = (c.req.header('x-forwarded-for') ?? '').split(',').map(normalize).filter(Boolean);
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!proxies.trusts(hop)) return hop;
  }
  return client;
}
