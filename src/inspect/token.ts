/**
 * The inspector's secret, as Jupyter's: every local user can connect to
 * 127.0.0.1, so the port alone protects nothing. The URL the owner is given
 * carries a random token; the first request bearing it sets an HttpOnly
 * cookie, which the page's assets and its event stream then carry by
 * themselves (same origin, so no script ever handles the token).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

/** 256 random bits, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface TokenCheck {
  /** The name of this inspector's cookie: one per port, so two inspectors on one host keep theirs apart. */
  readonly cookieName: string;
  /**
   * `query` when the request's `?token=` is right (the cookie should be set),
   * `cookie` when its cookie is, else `false`.
   */
  check(req: http.IncomingMessage, query: URLSearchParams): 'query' | 'cookie' | false;
  /** The `Set-Cookie` value that lets the page's later requests in. */
  cookie(): string;
}

export function tokenCheck(token: string, port: number): TokenCheck {
  const cookieName = `brainstem-inspector-${port}`;
  // Digests of equal length, so the comparison takes the same time whatever the guess.
  const expected = digest(token);
  const matches = (candidate: string | undefined | null) => typeof candidate === 'string' && timingSafeEqual(digest(candidate), expected);
  return {
    cookieName,
    check(req, query) {
      if (matches(query.get('token'))) return 'query';
      if (matches(cookieValue(req.headers.cookie, cookieName))) return 'cookie';
      return false;
    },
    cookie: () => `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The value of cookie `name` in a `Cookie` header, if it is there. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
