// Engine options for tests that drive a transport directly (no app): generous limits, no HTTP, every upgrade taken.
import type { SocketHandlers, TransportOptions } from '../../server/transport/types';

export function transportOptions(
  sockets: Omit<SocketHandlers<null>, 'upgrade'>,
  extra: Partial<TransportOptions<null>> = {},
): TransportOptions<null> {
  return {
    wsPrefix: '/',
    viewerPrefix: '/view/',
    limits: {
      engineMaxPayload: 1 << 20,
      viewerMaxPayload: 1 << 14,
      maxBackpressure: 64 << 20,
      idleTimeoutSeconds: 60,
      maxHttpBodyBytes: 1024,
      headersTimeoutMs: 10_000,
      maxHeaderBytes: 16 * 1024,
      closeHandshakeMs: 5000,
    },
    http: async () => ({ status: 404 }),
    sockets: { upgrade: () => ({ accept: true, context: null }), ...sockets },
    ...extra,
  };
}
