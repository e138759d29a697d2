// One live room in the lobby grid: thumbnail from the snapshot endpoint, name, state and viewer count.
import type { RoomInfo } from './api';

const STATE_TEXT: Record<RoomInfo['presenter'], string> = {
  waiting: 'Waiting',
  live: 'Live',
  reconnecting: 'Reconnecting',
  ended: 'Ended',
};

export function renderRoomCard(room: RoomInfo, thumbVersion: number): HTMLAnchorElement {
  const card = document.createElement('a');
  card.className = 'card room-card';
  card.href = `/view/${encodeURIComponent(room.id)}`;
  card.dataset.room = room.id;

  const thumb = document.createElement('div');
  thumb.className = 'thumb';
  // Only ask for a picture the server has: a 404 would show up as a console error.
  if (!room.private && room.geometry && room.framesIn > 0) {
    const img = document.createElement('img');
    img.alt = `Current picture of ${room.name ?? room.id}`;
    img.loading = 'lazy';
    img.src = `/api/rooms/${encodeURIComponent(room.id)}/snapshot.webp?width=480&v=${thumbVersion}`;
    thumb.append(img);
  } else {
    thumb.textContent = room.private ? 'Private room' : 'No picture yet';
  }

  const meta = document.createElement('div');
  meta.className = 'meta';
  const title = document.createElement('div');
  title.className = 'title';
  title.textContent = room.name || `Room ${room.id}`;
  const facts = document.createElement('div');
  facts.className = 'facts';
  const pill = document.createElement('span');
  pill.className = 'pill';
  pill.dataset.state = room.presenter;
  pill.textContent = STATE_TEXT[room.presenter];
  const viewers = document.createElement('span');
  viewers.textContent = `${room.viewers} watching`;
  facts.append(pill, viewers);
  if (room.geometry) {
    const size = document.createElement('span');
    size.textContent = `${room.geometry.width}×${room.geometry.height}`;
    facts.append(size);
  }
  meta.append(title, facts);
  card.append(thumb, meta);
  return card;
}
