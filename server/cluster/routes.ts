// HTTP in a cluster: room listing and info come from the directory (any node answers for every room), and a
// snapshot of a room with no viewers here is rendered from a short-lived local replica.
import { RoomNotFoundError, TilecastError } from '../errors';
import type { Route } from '../http/router';
import { json } from '../http/router';
import type { ClusterNode } from './node';
import type { NodeInfo, RoomMeta } from './directory';

/** How long a snapshot waits for a fresh replica's first keyframe. */
const SNAPSHOT_SYNC_MS = 3000;

function describe(meta: RoomMeta, nodes: NodeInfo[], node: ClusterNode) {
  const viewersByNode: Record<string, number> = {};
  let viewers = 0;
  for (const n of nodes) {
    const v = n.viewers[meta.id];
    if (v) {
      viewersByNode[n.id] = v;
      viewers += v;
    }
  }
  const local = node.store.get(meta.id);
  return {
    id: meta.id,
    name: meta.name,
    private: meta.private,
    presenter: meta.state,
    presenterNode: meta.origin || null,
    viewers,
    viewersByNode,
    createdAt: meta.createdAt,
    epoch: meta.epoch,
    local: local ? local.info() : null,
  };
}

/** Routes that take precedence over the single-node ones; `snapshots` are those routes, reused on a replica. */
export function clusterRoutes(node: ClusterNode, snapshots: Route[]): Route[] {
  const directory = node.directory;
  const onReplica = (route: Route): Route => ({
    ...route,
    handler: async (req, params) => {
      const room = await node.replica(params.id);
      if (!room) throw new RoomNotFoundError(params.id);
      try {
        if (!(await node.synced(params.id, SNAPSHOT_SYNC_MS)))
          throw new TilecastError('NO_PICTURE', `room ${params.id}: no picture from its origin yet`, 0, 503);
        return await route.handler(req, params);
      } finally {
        node.viewerLeft(room);
      }
    },
  });
  return [
    {
      method: 'GET',
      pattern: '/api/rooms',
      handler: async () => {
        const [rooms, nodes] = await Promise.all([directory.rooms(), directory.nodes()]);
        return json(200, { node: node.config.nodeId, rooms: rooms.map((m) => describe(m, nodes, node)) });
      },
    },
    {
      method: 'GET',
      pattern: '/api/rooms/:id',
      handler: async (_req, { id }) => {
        const meta = await directory.room(id);
        if (!meta || meta.state === 'ended') throw new RoomNotFoundError(id);
        return json(200, describe(meta, await directory.nodes(), node));
      },
    },
    {
      method: 'GET',
      pattern: '/api/cluster',
      handler: async () =>
        json(200, { node: node.config.nodeId, bus: node.busMode, nodes: await directory.nodes(), local: node.roles() }),
    },
    ...snapshots.map(onReplica),
  ];
}
