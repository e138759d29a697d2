// Who may see what over HTTP: the admin token, a room's tokens (Authorization: Bearer or ?token=).
import type { Config } from '../config';
import { type TokenSigner, sameSecret } from '../room/tokens';
import type { HttpRequest } from '../transport/types';

export function bearer(req: HttpRequest): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m ? m[1] : null;
}

/** The token a request carries: the Authorization header wins over ?token= (pages can only use the query). */
export function requestToken(req: HttpRequest): string | null {
  return bearer(req) ?? req.query.get('token');
}

export function isAdminToken(token: string | null, adminToken: string | undefined): boolean {
  return !!adminToken && !!token && sameSecret(token, adminToken);
}

export function isAdmin(req: HttpRequest, config: Pick<Config, 'adminToken'>): boolean {
  return isAdminToken(requestToken(req), config.adminToken);
}

/** A private room's details, snapshot or recordings: one of its tokens, or the admin token. */
export function mayWatch(req: HttpRequest, room: string, tokens: TokenSigner, adminToken: string | undefined): boolean {
  const token = requestToken(req);
  return tokens.admitsViewer(room, token) || isAdminToken(token, adminToken);
}

/** A room's owner (rotates its viewer link, deletes its recordings): its presenter token, or the admin token. */
export function mayManage(
  token: string | null,
  room: string,
  tokens: TokenSigner,
  adminToken: string | undefined,
): boolean {
  return tokens.verify(room, 'presenter', token) || isAdminToken(token, adminToken);
}
