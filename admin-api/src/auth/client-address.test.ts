import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientAddress, parseTrustedProxies, TrustedProxies, UNKNOWN_ADDRESS } from './client-address.js';

/** Answers the client address as the given proxies see it. */
function appTrusting(spec: string) {
  const proxies = new TrustedProxies(parseTrustedProxies(spec));
  return new Hono().get('/', (c) => c.text(clientAddress(c, proxies)));
}

/** A request from a socket peer `remoteAddress` (the bindings @hono/node-server passes), with `forwardedFor`. */
async function addressSeen(spec: string, remoteAddress: string | undefined, forwardedFor?: string) {
  const headers: Record<string, string> = forwardedFor ? { 'x-forwarded-for': forwardedFor } : {};
  const env = remoteAddress ? { incoming: { socket: { remoteAddress } } } : undefined;
  return (await appTrusting(spec).request('/', { headers }, env)).text();
}

describe('clientAddress', () => {
  it('ignores X-Forwarded-For when no proxy is trusted (the default)', async () => {
    expect(await addressSeen('', '192.0.2.1', '203.0.113.7')).toBe('192.0.2.1');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    expect(await addressSeen('10.0.0.0/8', '192.0.2.1', '203.0.113.7')).toBe('192.0.2.1');
  });

  it("takes the forwarded client behind a trusted proxy, skipping the proxies' own hops", async () => {
    expect(await addressSeen('10.0.0.0/8', '10.0.0.1', '203.0.113.7')).toBe('203.0.113.7');
    expect(await addressSeen('10.0.0.0/8', '10.0.0.1', '203.0.113.7, 10.1.2.3')).toBe('203.0.113.7');
  });

  it('never believes the hops a client wrote before the first untrusted one', async () => {
    // The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the client's real address.
    expect(await addressSeen('10.0.0.1', '10.0.0.1', '1.2.3.4, 198.51.100.9')).toBe('198.51.100.9');
  });

  it('stops at a malformed hop and keeps the proxy that forwarded it', async () => {
    expect(await addressSeen('10.0.0.1', '10.0.0.1', 'not-an-ip')).toBe('10.0.0.1');
  });

  it('treats an IPv4-mapped IPv6 peer as the IPv4 address, and matches IPv6 ranges', async () => {
    expect(await addressSeen('127.0.0.1', '::ffff:127.0.0.1', '203.0.113.7')).toBe('203.0.113.7');
    expect(await addressSeen('fd00::/8', 'fd00::1', '2001:db8::5')).toBe('2001:db8::5');
  });

  it("answers 'unknown' for a request with no socket, whatever it claims", async () => {
    expect(await addressSeen('10.0.0.0/8', undefined, '203.0.113.7')).toBe(UNKNOWN_ADDRESS);
  });
});

describe('parseTrustedProxies', () => {
  it('reads a comma-separated list of addresses and ranges; empty trusts nobody', () => {
    expect(parseTrustedProxies(' 127.0.0.1, ::1 ,10.0.0.0/8,')).toEqual(['127.0.0.1', '::1', '10.0.0.0/8']);
    expect(parseTrustedProxies('')).toEqual([]);
    expect(new TrustedProxies([]).trusts('127.0.0.1')).toBe(false);
  });

  it.each(['localhost', '10.0.0.0/33', '::1/129', '10.0.0.1/8/8', '*'])('refuses %s', (entry) => {
    expect(() => parseTrustedProxies(entry)).toThrow(entry);
  });
});
