/** MQTT 5 reason codes that the codec reports. */
export const RC_MALFORMED_PACKET = 0x81;
export const RC_PROTOCOL_ERROR = 0x82;
export const RC_UNSUPPORTED_PROTOCOL_VERSION = 0x84;
export const RC_PACKET_TOO_LARGE = 0x95;

/**
 * Error raised by the parser (through `Parser.onError`) and thrown by the
 * encoders. `reasonCode` is the MQTT 5 reason code that describes the problem:
 * 0x81 malformed packet, 0x82 protocol error, 0x84 unsupported protocol
 * version, 0x95 packet too large.
 */
export class CodecError extends Error {
  readonly reasonCode: number;
  constructor(message: string, reasonCode: number = RC_MALFORMED_PACKET) {
    super(message);
    this.name = 'CodecError';
    this.reasonCode = reasonCode;
  }
}
