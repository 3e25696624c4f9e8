// The MQTT protocol state machine of one connection (reference: emqx_channel).
// It does no IO of its own: frames go out through the Transport, which batches
// them per event-loop turn, and everything else arrives as packet objects.
// State, output and closing are in core.ts; each packet kind has its own file.
import type { DisconnectPacket, Packet, PublishPacket } from '@nemq/codec';
import { onAuth } from '../access/authenticate.js';
import type { AuthResult } from '../hooks/hookpoints.js';
import type { Message } from '../types.js';
import { authDone, onConnect } from './connect.js';
import { ChannelCore, State } from './core.js';
import { sendPublish } from './deliver.js';
import { onPuback, onPubcomp, onPublish, onPubrec, onPubrel } from './publish.js';
import { RC } from './reason-codes.js';
import { feeding } from '../session/pressure.js';
import { onSubscribe, onUnsubscribe } from './subscribe.js';

export type { Transport, SessionManager, ChannelEnv } from './core.js';

/** the broker routes this PUBLISH synchronously: sessions it fills may hold us (pressure.ts) */
function publishFed(ch: Channel, p: PublishPacket): void {
  feeding.current = ch;
  try {
    onPublish(ch, p);
  } finally {
    feeding.current = undefined;
  }
}

export class Channel extends ChannelCore {
  // ---- input -------------------------------------------------------------

  handle(p: Packet): void {
    if (this.env.traces !== undefined) this.env.traces.packetIn(this, p);
    // an async step runs, or backpressure holds us: keep the order, wait
    if (this.busy || this.holds > 0 || this.limitTimer !== undefined) {
      (this.pending ??= []).push(p);
      return;
    }
    this.dispatch(p);
  }

  dispatch(p: Packet): void {
    // bytes that were already read when the connection ended are dropped
    if (this.state === State.Disconnected) return;
    const m = this.env.metrics;
    m['packets.received']++;
    if (this.state !== State.Connected) {
      if (p.cmd === 'connect' && this.state === State.Idle) return onConnect(this, p);
      if (p.cmd === 'auth' && this.state === State.Connecting) return onAuth(this, p);
      // [MQTT-3.1.0-1] the first packet must be CONNECT; [MQTT-3.1.0-2] a second CONNECT is a protocol error
      return this.protocolError(`unexpected ${p.cmd} before CONNECT`);
    }
    switch (p.cmd) {
      case 'publish':
        publishFed(this, p);
        if (this.limiter !== undefined) this.limitPause(this.limiter.message());
        return;
      case 'puback':
        return onPuback(this, p);
      case 'pubrec':
        return onPubrec(this, p);
      case 'pubrel':
        return onPubrel(this, p);
      case 'pubcomp':
        return onPubcomp(this, p);
      case 'subscribe':
        return onSubscribe(this, p);
      case 'unsubscribe':
        return onUnsubscribe(this, p);
      case 'pingreq':
        m['packets.pingreq.received']++;
        this.sendPacket({ cmd: 'pingresp' });
        m['packets.pingresp.sent']++;
        return;
      case 'disconnect':
        return this.onDisconnect(p);
      case 'auth':
        return onAuth(this, p);
      default:
        return this.protocolError(`unexpected ${p.cmd}`);
    }
  }

  authDone(r: AuthResult): void {
    authDone(this, r);
  }

  /** Outlet: one delivery to this client (deliver.ts) */
  sendPublish(msg: Message, qos: number, retain: boolean, dup: boolean, pid: number, subids: number[] | undefined): void {
    sendPublish(this, msg, qos, retain, dup, pid, subids);
  }

  // ---- DISCONNECT --------------------------------------------------------

  private onDisconnect(p: DisconnectPacket): void {
    this.env.metrics['packets.disconnect.received']++;
    const rc = p.reasonCode ?? 0;
    const newExpiry = p.properties?.sessionExpiryInterval;
    if (newExpiry !== undefined && this.session) {
      // [MQTT-3.14.2-2] cannot set a non-zero expiry when CONNECT had zero
      if (this.conninfo.expiry_interval === 0 && newExpiry !== 0) return this.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
      this.session.expiryInterval = newExpiry;
      this.conninfo.expiry_interval = newExpiry;
    }
    // [MQTT-3.14.4-3] a normal DISCONNECT discards the will; 0x04 asks for it to be sent
    if (rc !== 0x04) this.will = undefined;
    this.closeReason = rc === 0 ? 'normal' : 'disconnect_with_will';
    this.shutdown();
  }
}
