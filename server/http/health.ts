// /healthz for load balancers and /metrics for Prometheus.
import { Registry, Gauge, collectDefaultMetrics } from 'prom-client';
import type { RoomStore } from '../room/registry';
import { type Route, json } from './router';

export function healthRoutes(engine: string, rooms: RoomStore, extra: Registry[] = []): Route[] {
  const started = Date.now();
  const registry = extra.length ? Registry.merge([new Registry(), ...extra]) : new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tilecast_' });
  const gauge = (name: string, help: string, value: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value());
      },
    });
  const sum = (f: (i: ReturnType<ReturnType<RoomStore['list']>[number]['info']>) => number) => () =>
    rooms.list().reduce((acc, r) => acc + f(r.info()), 0);
  gauge('tilecast_rooms', 'rooms open', () => rooms.list().length);
  gauge(
    'tilecast_viewers',
    'viewers connected',
    sum((i) => i.viewers),
  );
  gauge(
    'tilecast_bytes_in',
    'tile bytes received from presenters',
    sum((i) => i.bytesIn),
  );
  gauge(
    'tilecast_bytes_out',
    'tile bytes sent to viewers',
    sum((i) => i.bytesOut),
  );
  gauge(
    'tilecast_tiles_coalesced',
    'tiles replaced before they were sent',
    sum((i) => i.tilesCoalesced),
  );

  return [
    {
      method: 'GET',
      pattern: '/healthz',
      handler: async () =>
        json(200, {
          ok: true,
          engine,
          uptimeSeconds: Math.round((Date.now() - started) / 1000),
          rooms: rooms.list().length,
        }),
    },
    {
      method: 'GET',
      pattern: '/metrics',
      handler: async () => ({
        status: 200,
        headers: { 'content-type': registry.contentType },
        body: await registry.metrics(),
      }),
    },
  ];
}
