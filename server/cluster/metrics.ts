// Per-node bus metrics (prom-client), served on /metrics next to the room gauges.
import { Counter, Histogram, Registry } from 'prom-client';

export function busMetrics(nodeId: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  const counter = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  return {
    registry,
    framesPublished: counter('tilecast_bus_frames_published_total', 'room messages this node published as origin'),
    bytesPublished: counter('tilecast_bus_bytes_published_total', 'bytes this node published on the bus'),
    framesReceived: counter('tilecast_bus_frames_received_total', 'room messages this node received as replica'),
    bytesReceived: counter('tilecast_bus_bytes_received_total', 'bytes this node received from the bus'),
    keyframeRequests: counter('tilecast_bus_keyframe_requests_total', 'keyframes this node asked origins for'),
    keyframesSent: counter('tilecast_bus_keyframes_sent_total', 'keyframes this node published as origin'),
    resyncs: counter('tilecast_bus_resyncs_total', 'replica resyncs completed from a keyframe'),
    gaps: counter('tilecast_bus_gaps_total', 'gaps seen in a room frame sequence (lost or out-of-order messages)'),
    lag: new Histogram({
      name: 'tilecast_bus_lag_seconds',
      help: 'publish to receive time of bus messages (node clocks must agree across machines)',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
  };
}

export type BusMetrics = ReturnType<typeof busMetrics>;
