// A tiny router: routes are data (method, pattern with :params), matched in declaration order.
import { ZodError } from 'zod';
import {
  BadPathError,
  BadRequestError,
  InternalError,
  MethodNotAllowedError,
  NotFoundError,
  TilecastError,
  describeIssues,
} from '../errors';
import type { Logger } from '../log';
import { errorResponse } from '../transport/http-status';
import type { HttpRequest, HttpResponse } from '../transport/types';

export interface Route {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'HEAD';
  /** `/api/rooms/:id`, `/assets/:file`; a param matches one path segment */
  pattern: string;
  handler: (req: HttpRequest, params: Record<string, string>) => Promise<HttpResponse>;
}

interface Compiled {
  route: Route;
  regex: RegExp;
  names: string[];
}

function compile(route: Route): Compiled {
  const names: string[] = [];
  const source = route.pattern
    .split('/')
    .map((part) => {
      if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const dot = part.indexOf('.');
      names.push(dot < 0 ? part.slice(1) : part.slice(1, dot));
      return dot < 0 ? '([^/]+)' : `([^/.]+)${part.slice(dot).replace(/\./g, '\\.')}`;
    })
    .join('/');
  return { route, regex: new RegExp(`^${source}/?$`), names };
}

export function createRouter(routes: Route[], log: Logger): (req: HttpRequest) => Promise<HttpResponse> {
  const compiled = routes.map(compile);
  return async (req) => {
    let pathMatched = false;
    for (const { route, regex, names } of compiled) {
      const m = regex.exec(req.path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== req.method && !(route.method === 'GET' && req.method === 'HEAD')) continue;
      const params: Record<string, string> = {};
      try {
        names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
      } catch {
        return errorResponse(new BadPathError());
      }
      try {
        const res = await route.handler(req, params);
        // HEAD keeps the body's description (its length) and the transport leaves the bytes out.
        return req.method === 'HEAD' ? { ...res, headOnly: true } : res;
      } catch (err) {
        if (err instanceof TilecastError) return errorResponse(err);
        if (err instanceof ZodError) return errorResponse(new BadRequestError(describeIssues(err, 'input')));
        log.error({ err, path: req.path }, 'HTTP handler failed');
        return errorResponse(new InternalError());
      }
    }
    return errorResponse(
      pathMatched ? new MethodNotAllowedError(req.method, req.path) : new NotFoundError(`nothing at ${req.path}`),
    );
  };
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(value),
  };
}
