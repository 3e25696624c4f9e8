// Real mqtt.js clients for auth tests: the CONNACK, SUBACK and PUBACK codes a user sees.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export class Clients {
  private readonly all: MqttClient[] = [];

  /** CONNACK code as the client saw it: 0 accepted, else the v3 return code or v5 reason code */
  connack(url: string, opts: IClientOptions): Promise<{ code: number; client: MqttClient }> {
    return new Promise((resolve, reject) => {
      const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 5, ...opts });
      this.all.push(c);
      c.once('connect', () => resolve({ code: 0, client: c }));
      c.once('error', (e: Error & { code?: unknown }) => (typeof e.code === 'number' ? resolve({ code: e.code, client: c }) : reject(e)));
      c.once('close', () => setImmediate(() => reject(new Error('closed without CONNACK'))));
    });
  }

  async code(url: string, opts: IClientOptions): Promise<number> {
    const r = await this.connack(url, opts);
    r.client.end(true);
    return r.code;
  }

  async connected(url: string, opts: IClientOptions): Promise<MqttClient> {
    const r = await this.connack(url, opts);
    if (r.code !== 0) throw new Error(`CONNACK ${r.code}`);
    return r.client;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.all.splice(0).map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
  }
}

/** the granted QoS or the failure code of one SUBSCRIBE (v5 0x87, v3 0x80) */
export function suback(c: MqttClient, filter: string): Promise<number> {
  return new Promise((resolve, reject) => {
    c.subscribe(filter, { qos: 1 }, (err, _subs, packet) => {
      const g = (packet as { granted?: number[] } | undefined)?.granted?.[0];
      if (typeof g === 'number') resolve(g);
      else reject(err ?? new Error('no SUBACK'));
    });
  });
}

/** PUBACK reason code of a QoS 1 publish (v5) */
export function puback(c: MqttClient, topic: string, payload: string): Promise<number> {
  return new Promise((resolve) => {
    c.publish(topic, payload, { qos: 1 }, (err) => resolve(err ? Number((err as Error & { code?: number }).code) : 0));
  });
}
