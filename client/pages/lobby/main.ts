// Lobby: create a room (presenter and viewer links with copy buttons) and browse live rooms with thumbnails.
import { $, showBanner, wireCopyButton } from '../../lib/dom';
import { createRoom, listRooms } from './api';
import { RoomCard } from './room-card';

const banner = $('banner');
const form = $<HTMLFormElement>('create-form');
const createButton = $<HTMLButtonElement>('create');
const presenterLink = $<HTMLInputElement>('presenter-link');
const viewerLink = $<HTMLInputElement>('viewer-link');
const openPresenter = $<HTMLAnchorElement>('open-presenter');
const roomsGrid = $('rooms');
const roomsEmpty = $('rooms-empty');
const roomsCount = $('rooms-count');

wireCopyButton($<HTMLButtonElement>('copy-presenter'), () => presenterLink.value);
wireCopyButton($<HTMLButtonElement>('copy-viewer'), () => viewerLink.value);

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  createButton.disabled = true;
  try {
    const name = $<HTMLInputElement>('room-name').value.trim();
    const room = await createRoom({ ...(name ? { name } : {}), private: $<HTMLInputElement>('room-private').checked });
    // The presenter page builds its viewer link from viewerToken, which only private rooms need.
    const presenter = new URL(room.presenterUrl, location.origin);
    if (room.viewerToken) presenter.searchParams.set('viewerToken', room.viewerToken);
    presenterLink.value = presenter.href;
    viewerLink.value = new URL(room.viewerUrl, location.origin).href;
    openPresenter.href = presenter.href;
    $('result').hidden = false;
    showBanner(banner, null);
    void refreshRooms();
  } catch (err) {
    showBanner(banner, `Could not create a room: ${(err as Error).message}`, 'bad');
  } finally {
    createButton.disabled = false;
  }
});

// Thumbnails refresh every few polls (and only when new frames came in), not on every one.
let polls = 0;
const cards = new Map<string, RoomCard>();
async function refreshRooms(): Promise<void> {
  try {
    const rooms = (await listRooms()).filter((r) => r.presenter !== 'ended');
    const thumbVersion = Math.floor(polls++ / 3);
    const seen = new Set<string>();
    for (const room of rooms) {
      let card = cards.get(room.id);
      if (!card) cards.set(room.id, (card = new RoomCard(room.id)));
      card.update(room, thumbVersion);
      seen.add(room.id);
    }
    for (const id of cards.keys()) if (!seen.has(id)) cards.delete(id);
    roomsGrid.replaceChildren(...rooms.map((r) => cards.get(r.id)!.element));
    roomsEmpty.hidden = rooms.length > 0;
    roomsCount.textContent = rooms.length ? `${rooms.length} room${rooms.length === 1 ? '' : 's'}` : '';
    if (banner.dataset.source === 'rooms') showBanner(banner, null);
  } catch (err) {
    showBanner(banner, `Could not load the room list: ${(err as Error).message}`, 'warn');
    banner.dataset.source = 'rooms';
  }
}

void refreshRooms();
setInterval(() => void refreshRooms(), 3000);
