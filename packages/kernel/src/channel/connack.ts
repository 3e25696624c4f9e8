// CONNACK out, within the client's v5 Maximum Packet Size [MQTT-3.1.2-24].
import { encode, type ConnackProperties, type ProtocolVersion } from '@nemq/codec';

/** the largest packet MQTT can carry: a maximumPacketSize of this says nothing */
const PROTOCOL_MAX = 268435455;

/**
 * The CONNACK frame, or undefined when it cannot fit the client's maximum (`max`, 0 = none).
 * Too large, it loses first what the spec lets the server leave out: user properties
 * and reason string [MQTT-3.2.2-19] [MQTT-3.2.2-20], response information (the server
 * may choose to send none, 3.2.2.3.15), then capabilities stated at their default
 * value (absent means the same). What is left changes what the client must do
 * (assigned id, keep alive, limits, authentication), so it is not dropped: the
 * CONNACK is discarded unsent [MQTT-3.1.2-25] and the caller closes the connection.
 */
export function connackFrame(version: ProtocolVersion, max: number, present: boolean, rc: number, props: ConnackProperties | undefined): Buffer | undefined {
  let frame = encode({ cmd: 'connack', sessionPresent: present, reasonCode: rc, ...(props && version === 5 ? { properties: props } : {}) }, version);
  if (max > 0 && frame.length > max && props !== undefined && version === 5) {
    const p: ConnackProperties = { ...props };
    for (const drop of DROPPABLE) {
      if (!drop(p)) continue;
      frame = encode({ cmd: 'connack', sessionPresent: present, reasonCode: rc, properties: p }, 5);
      if (frame.length <= max) break;
    }
  }
  return max > 0 && frame.length > max ? undefined : frame;
}

/** capabilities whose value here is what their absence means (MQTT 5.0 section 3.2.2.3) */
const DEFAULTS: ReadonlyArray<[keyof ConnackProperties, unknown]> = [
  ['retainAvailable', true],
  ['wildcardSubscriptionAvailable', true],
  ['subscriptionIdentifiersAvailable', true],
  ['sharedSubscriptionAvailable', true],
  ['topicAliasMaximum', 0],
  ['receiveMaximum', 65535],
  ['maximumQoS', 2],
  ['maximumPacketSize', PROTOCOL_MAX],
];

/** each removes one kind of optional property; true when it removed something */
const DROPPABLE: Array<(p: ConnackProperties) => boolean> = [
  (p) => del(p, 'userProperties'),
  (p) => del(p, 'reasonString'),
  (p) => del(p, 'responseInformation'),
  (p) => {
    let any = false;
    for (const [k, v] of DEFAULTS) if (p[k] === v) any = del(p, k) || any;
    return any;
  },
];

function del(p: ConnackProperties, k: keyof ConnackProperties): boolean {
  if (p[k] === undefined) return false;
  delete p[k];
  return true;
}
