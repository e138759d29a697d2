// One room in the lobby grid: thumbnail from the snapshot endpoint, name, state and viewer count. Cards are
// updated in place on every poll; a new thumbnail is swapped in only once it has loaded, so nothing flickers.
import type { RoomInfo } from './api';

const STATE_TEXT: Record<RoomInfo['presenter'], string> = {
  waiting: 'Waiting',
  live: 'Live',
  reconnecting: 'Reconnecting',
  ended: 'Ended',
};

export class RoomCard {
  readonly element = document.createElement('a');
  private readonly thumb = document.createElement('div');
  private readonly title = document.createElement('div');
  private readonly pill = document.createElement('span');
  private readonly viewers = document.createElement('span');
  private readonly size = document.createElement('span');
  private img: HTMLImageElement | null = null;
  private thumbUrl = '';
  private thumbVersion = -1;

  constructor(readonly id: string) {
    const el = this.element;
    el.className = 'card room-card';
    el.href = `/view/${encodeURIComponent(id)}`;
    el.dataset.room = id;
    this.thumb.className = 'thumb';
    // The state pill sits on the picture, so the facts line below has room for "12 watching" and the size.
    const media = document.createElement('div');
    media.className = 'media';
    this.pill.className = 'pill';
    media.append(this.thumb, this.pill);
    const meta = document.createElement('div');
    meta.className = 'meta';
    this.title.className = 'title';
    const facts = document.createElement('div');
    facts.className = 'facts';
    this.size.className = 'size';
    facts.append(this.viewers, this.size);
    meta.append(this.title, facts);
    el.append(media, meta);
  }

  update(room: RoomInfo, thumbVersion: number): void {
    this.title.textContent = room.name || `Room ${room.id}`;
    this.pill.dataset.state = room.presenter;
    this.pill.textContent = STATE_TEXT[room.presenter];
    this.viewers.textContent = `${room.viewers} watching`;
    this.size.textContent = room.geometry ? `${room.geometry.width}×${room.geometry.height}` : '';
    // Only ask for a picture the server has: a 404 would show up as a console error.
    if (room.private || !room.geometry || room.framesIn === 0) {
      this.img = null;
      this.thumbUrl = '';
      this.thumb.textContent = room.private ? 'Private room' : 'No picture yet';
      return;
    }
    // A new picture only when frames came in, and at most once per thumbVersion (every few polls).
    const url = `/api/rooms/${encodeURIComponent(room.id)}/snapshot.webp?width=480&frames=${room.framesIn}`;
    if (url === this.thumbUrl || (this.img && thumbVersion === this.thumbVersion)) return;
    this.thumbUrl = url;
    this.thumbVersion = thumbVersion;
    const next = new Image();
    next.alt = `Current picture of ${room.name ?? room.id}`;
    next.decoding = 'async';
    next.onload = () => {
      if (this.thumbUrl !== url) return;
      this.img = next;
      this.thumb.replaceChildren(next);
    };
    next.src = url;
  }
}
