// MQTT 5 reason codes (spec 2.4) and their v3 CONNACK equivalents.
export const RC = {
  SUCCESS: 0x00,
  NO_MATCHING_SUBSCRIBERS: 0x10,
  NO_SUBSCRIPTION_EXISTED: 0x11,
  CONTINUE_AUTH: 0x18,
  REAUTHENTICATE: 0x19,
  UNSPECIFIED_ERROR: 0x80,
  MALFORMED_PACKET: 0x81,
  PROTOCOL_ERROR: 0x82,
  IMPLEMENTATION_SPECIFIC_ERROR: 0x83,
  UNSUPPORTED_PROTOCOL_VERSION: 0x84,
  CLIENT_ID_NOT_VALID: 0x85,
  BAD_USERNAME_OR_PASSWORD: 0x86,
  NOT_AUTHORIZED: 0x87,
  SERVER_UNAVAILABLE: 0x88,
  SERVER_BUSY: 0x89,
  BANNED: 0x8a,
  SERVER_SHUTTING_DOWN: 0x8b,
  BAD_AUTH_METHOD: 0x8c,
  KEEPALIVE_TIMEOUT: 0x8d,
  SESSION_TAKEN_OVER: 0x8e,
  TOPIC_FILTER_INVALID: 0x8f,
  TOPIC_NAME_INVALID: 0x90,
  PACKET_ID_IN_USE: 0x91,
  PACKET_ID_NOT_FOUND: 0x92,
  RECEIVE_MAXIMUM_EXCEEDED: 0x93,
  TOPIC_ALIAS_INVALID: 0x94,
  PACKET_TOO_LARGE: 0x95,
  MESSAGE_RATE_TOO_HIGH: 0x96,
  QUOTA_EXCEEDED: 0x97,
  ADMINISTRATIVE_ACTION: 0x98,
  PAYLOAD_FORMAT_INVALID: 0x99,
  RETAIN_NOT_SUPPORTED: 0x9a,
  QOS_NOT_SUPPORTED: 0x9b,
  USE_ANOTHER_SERVER: 0x9c,
  SERVER_MOVED: 0x9d,
  SHARED_SUB_NOT_SUPPORTED: 0x9e,
  CONNECTION_RATE_EXCEEDED: 0x9f,
  MAXIMUM_CONNECT_TIME: 0xa0,
  SUB_IDS_NOT_SUPPORTED: 0xa1,
  WILDCARD_SUB_NOT_SUPPORTED: 0xa2,
} as const;

/** EMQX auth result atoms → CONNACK reason code (reference §1.3 notes) */
export function authReasonCode(result: string): number {
  switch (result) {
    case 'bad_username_or_password':
    case 'bad_clientid_or_password':
    case 'password_error':
    case 'username_or_password_undefined':
      return RC.BAD_USERNAME_OR_PASSWORD;
    case 'server_unavailable':
      return RC.SERVER_UNAVAILABLE;
    case 'server_busy':
      return RC.SERVER_BUSY;
    case 'banned':
      return RC.BANNED;
    case 'client_identifier_not_valid':
      return RC.CLIENT_ID_NOT_VALID;
    default:
      return RC.NOT_AUTHORIZED;
  }
}

/** v3.1/v3.1.1 CONNACK return code for a v5 reason code */
export function v3ConnackCode(rc: number): number {
  switch (rc) {
    case RC.UNSUPPORTED_PROTOCOL_VERSION:
      return 1;
    case RC.CLIENT_ID_NOT_VALID:
      return 2;
    case RC.SERVER_UNAVAILABLE:
    case RC.SERVER_BUSY:
    case RC.SERVER_SHUTTING_DOWN:
      return 3;
    case RC.BAD_USERNAME_OR_PASSWORD:
      return 4;
    default:
      return 5;
  }
}
