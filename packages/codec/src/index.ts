export * from './packets.js';
export {
  CodecError, RC_MALFORMED_PACKET, RC_PROTOCOL_ERROR, RC_UNSUPPORTED_PROTOCOL_VERSION, RC_PACKET_TOO_LARGE,
} from './errors.js';
export { Parser, type ParserOptions } from './parser.js';
export { encode } from './encoder.js';
export { PublishEncoder, type PublishFrameExtra } from './publish-encoder.js';
export { MAX_PACKET_SIZE } from './constants.js';
