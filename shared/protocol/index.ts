// The wire protocol: bytes, ids and tile geometry both sides agree on. See shared/PROTOCOL.md.
export * from './constants';
export * from './close-codes';
export * from './errors';
export * from './geometry';
export * from './encode';
export * from './decode';
export * from './control';
export * from './canonical-ack';
export * from './image-size';
export * from './header';
export * from './picture-model';
export * from './motion';
