// Authentication of one connection: allow_anonymous (false_quick_deny),
// bypass_auth_plugins, the client.authenticate chain and MQTT 5 enhanced
// authentication (client.enhanced_authenticate, AUTH packets).
import type { AuthPacket } from '@nemq/codec';
import { State, type ChannelCore } from '../channel/core.js';
import { RC } from '../channel/reason-codes.js';
import type { AuthResult } from '../hooks/hookpoints.js';
import type { ClientInfo } from '../types.js';

/** runs after the CONNECT checks; ends in ch.authDone or a CONNACK error */
export function authenticate(ch: ChannelCore): void {
  const env = ch.env;
  const zone = ch.zone;
  const ci = ch.clientinfo;
  env.metrics['client.authenticate']++;
  if (zone.allowAnonymous === 'false_quick_deny' && ci.username === undefined) {
    return ch.connackError(RC.NOT_AUTHORIZED, 'not_authorized');
  }
  const acc: AuthResult = zone.allowAnonymous === true ? { auth_result: 'success', anonymous: true } : { auth_result: 'not_authorized', anonymous: false };
  const hook = env.registry.hooks['client.authenticate'];
  const method = ch.connectPkt?.properties?.authenticationMethod;
  if (zone.bypassAuthPlugins || !hook.isUsed()) {
    if (method !== undefined) return enhancedAuth(ch, method, ch.connectPkt?.properties?.authenticationData);
    return ch.authDone(acc);
  }
  ch.busy = true;
  hook.promise(ci, acc).then(
    (res) => {
      if (ch.state === State.Disconnected) return;
      const r = res ?? acc;
      if (r.auth_result === 'success' && method !== undefined) {
        Object.assign(ci, pickClientFields(r));
        return enhancedAuth(ch, method, ch.connectPkt?.properties?.authenticationData);
      }
      ch.authDone(r);
    },
    (err) => ch.internalError(err),
  );
}

/** MQTT 5 enhanced authentication [MQTT-4.12] via client.enhanced_authenticate */
function enhancedAuth(ch: ChannelCore, method: string, data: Buffer | undefined): void {
  const hook = ch.env.registry.hooks['client.enhanced_authenticate'];
  ch.authMethod = method;
  if (!hook.isUsed()) return ch.connackError(RC.BAD_AUTH_METHOD, 'bad_authentication_method');
  ch.busy = true;
  hook.promise(method, data, ch.authCache).then(
    (res) => {
      if (ch.state === State.Disconnected) return;
      if (res?.status === 'continue') {
        ch.authCache = res.cache;
        ch.sendPacket({ cmd: 'auth', reasonCode: RC.CONTINUE_AUTH, properties: { authenticationMethod: method, ...(res.data ? { authenticationData: res.data } : {}) } });
        ch.env.metrics['packets.auth.sent']++;
        ch.runPending();
        return;
      }
      if (res?.status === 'ok') {
        ch.authCache = res.cache;
        ch.authData = res.data;
        if (ch.state === State.Connected) {
          // re-authentication: answer AUTH success
          ch.sendPacket({ cmd: 'auth', reasonCode: 0, properties: { authenticationMethod: method, ...(res.data ? { authenticationData: res.data } : {}) } });
          ch.runPending();
          return;
        }
        return ch.authDone({ auth_result: 'success', anonymous: false });
      }
      if (ch.state === State.Connected) return ch.disconnect(RC.NOT_AUTHORIZED, 'not_authorized');
      ch.connackError(RC.NOT_AUTHORIZED, 'not_authorized');
    },
    (err) => ch.internalError(err),
  );
}

/** AUTH: the next step of enhanced authentication, or re-authentication */
export function onAuth(ch: ChannelCore, p: AuthPacket): void {
  ch.env.metrics['packets.auth.received']++;
  const method = p.properties?.authenticationMethod;
  // [MQTT-4.12.0-5] the method must not change
  if (ch.authMethod === undefined || method !== ch.authMethod) return ch.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
  if (p.reasonCode !== RC.CONTINUE_AUTH && p.reasonCode !== RC.REAUTHENTICATE) return ch.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
  enhancedAuth(ch, method, p.properties?.authenticationData);
}

/** what an auth result may set on the client: anonymous, superuser, mountpoint */
export function pickClientFields(r: AuthResult): Partial<ClientInfo> {
  const out: Partial<ClientInfo> = { anonymous: r.anonymous === true, auth_result: r.auth_result };
  if (r.is_superuser !== undefined) out.is_superuser = r.is_superuser;
  if (typeof r.mountpoint === 'string') out.mountpoint = r.mountpoint;
  return out;
}
