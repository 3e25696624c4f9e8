/**
 * The test services themselves (test/services/services.sh via index.ts), checked with the real Node clients.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as net from 'node:net';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import mqtt from 'mqtt';
import mysql from 'mysql2/promise';
import { Service, requireServices, startService } from './index';

requireServices('mariadb', 'mosquitto', 'kafka');

function statFields(procPath: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${procPath}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * A PID is gone when there is no such process, the PID now names a newer process, or it is a zombie
 * (not reaped yet) none of whose threads still runs.
 */
function processGone(pid: number, startTime: string): boolean {
  const fields = statFields(String(pid));
  if (!fields || fields[19] !== startTime) return true;
  if (fields[0] !== 'Z') return false;
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    /* reaped meanwhile */
  }
  return tasks.every((tid) => ['Z', 'X', undefined].includes(statFields(`${pid}/task/${tid}`)?.[0]));
}

function startTimes(pids: number[]): Map<number, string> {
  const m = new Map<number, string>();
  for (const pid of pids) m.set(pid, statFields(String(pid))![19]!);
  return m;
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

/** Stop the service and check that its processes are gone and its port is closed. */
async function stopAndCheck(svc: Service): Promise<void> {
  const pids = svc.pids();
  expect(pids.length).toBeGreaterThan(0);
  const before = startTimes(pids);
  await svc.stop();
  for (const [pid, start] of before) expect(processGone(pid, start)).toBe(true);
  expect(await refused(svc.port)).toBe(true);
}

describe('mariadb', () => {
  let svc: Service | undefined;
  beforeAll(async () => {
    svc = await startService('mariadb');
  }, 120_000);
  afterAll(() => svc?.stop());

  test('env has the connection details', () => {
    const { env, port } = svc!;
    expect(env).toMatchObject({
      MYSQL_URL: `mysql://test:test@127.0.0.1:${port}/test`,
      MYSQL_HOST: '127.0.0.1',
      MYSQL_PORT: String(port),
      MYSQL_USER: 'test',
      MYSQL_PASSWORD: 'test',
      MYSQL_DATABASE: 'test',
    });
    expect(port).toBeGreaterThanOrEqual(20000);
    expect(port).toBeLessThanOrEqual(29999);
    expect(readFileSync(`${svc!.dir}/mariadb.env`, 'utf8')).toContain(`MYSQL_URL=${env.MYSQL_URL}`);
  });

  test('SELECT 1 as test/test over TCP', async () => {
    const conn = await mysql.createConnection(svc!.env.MYSQL_URL!);
    try {
      const [rows] = await conn.query('SELECT 1 AS one, DATABASE() AS db, CURRENT_USER() AS user');
      expect(rows).toEqual([{ one: 1, db: 'test', user: 'test@%' }]);
    } finally {
      await conn.end();
    }
  });

  test('a wrong password is refused', async () => {
    const { MYSQL_HOST, MYSQL_PORT } = svc!.env;
    await expect(
      mysql.createConnection({ host: MYSQL_HOST, port: Number(MYSQL_PORT), user: 'test', password: 'wrong', database: 'test' }),
    ).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
  });

  test('down() and up() keep the data', async () => {
    const url = svc!.env.MYSQL_URL!;
    let conn = await mysql.createConnection(url);
    await conn.query('CREATE TABLE kept (v INT)');
    await conn.query('INSERT INTO kept VALUES (42)');
    await conn.end();
    await svc!.down();
    expect(await refused(svc!.port)).toBe(true);
    await svc!.up();
    conn = await mysql.createConnection(url);
    try {
      const [rows] = await conn.query('SELECT v FROM kept');
      expect(rows).toEqual([{ v: 42 }]);
    } finally {
      await conn.end();
    }
  }, 60_000);

  test('stop() ends the processes', () => stopAndCheck(svc!), 60_000);
});

describe('mosquitto', () => {
  let svc: Service | undefined;
  beforeAll(async () => {
    svc = await startService('mosquitto');
  }, 60_000);
  afterAll(() => svc?.stop());

  const connect = (opts: mqtt.IClientOptions) =>
    mqtt.connectAsync(svc!.env.MQTT_URL!, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });

  test('env has the connection details', () => {
    expect(svc!.env).toMatchObject({
      MQTT_URL: `mqtt://127.0.0.1:${svc!.port}`,
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(svc!.port),
      MQTT_USER: 'test',
      MQTT_PASSWORD: 'test',
    });
  });

  test('anonymous connect, publish and receive', async () => {
    const c = await connect({});
    try {
      await c.subscribeAsync('svc/test', { qos: 1 });
      const got = new Promise<string>((resolve) => c.once('message', (_t, payload) => resolve(payload.toString())));
      await c.publishAsync('svc/test', 'hello', { qos: 1 });
      expect(await got).toBe('hello');
    } finally {
      await c.endAsync();
    }
  });

  test('test/test connects', async () => {
    const c = await connect({ username: 'test', password: 'test' });
    expect(c.connected).toBe(true);
    await c.endAsync();
  });

  test('a wrong password is "Not authorized"', async () => {
    await expect(connect({ username: 'test', password: 'wrong' })).rejects.toThrow(/Not authorized/);
  });

  test('stop() ends the process', () => stopAndCheck(svc!), 60_000);
});

describe("kafka: librdkafka's mock cluster (not a real Kafka)", () => {
  let svc: Service | undefined;
  beforeAll(async () => {
    svc = await startService('kafka', { env: { KAFKA_TOPICS: 't1:3,t2' } });
  }, 60_000);
  afterAll(() => svc?.stop());

  const kafka = () =>
    new Kafka({ clientId: 'nemq-services-test', brokers: [svc!.env.KAFKA_BROKERS!], logLevel: logLevel.NOTHING });

  test('env has the connection details', () => {
    expect(svc!.env).toMatchObject({
      KAFKA_BROKERS: `127.0.0.1:${svc!.port}`,
      KAFKA_HOST: '127.0.0.1',
      KAFKA_PORT: String(svc!.port),
      KAFKA_TOPICS: 't1:3,t2',
      KAFKA_MOCK: 'librdkafka',
    });
  });

  test('the pre-created topics exist with their partition counts', async () => {
    const admin = kafka().admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: ['t1', 't2'] });
      const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
      expect(partitions).toEqual({ t1: 3, t2: 1 });
    } finally {
      await admin.disconnect();
    }
  });

  test('kafkajs produces to t1 and consumes it back from the mock cluster', async () => {
    const k = kafka();
    const producer = k.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const consumer = k.consumer({ groupId: 'nemq-services-test' });
    const sent = Array.from({ length: 9 }, (_, i) => `m${i}`);
    const got: string[] = [];
    try {
      await producer.connect();
      await producer.send({ topic: 't1', messages: sent.map((value, i) => ({ key: `k${i}`, value })) });
      await consumer.connect();
      await consumer.subscribe({ topic: 't1', fromBeginning: true });
      const all = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            got.push(message.value!.toString());
            if (got.length === sent.length) resolve();
          },
        });
      });
      await all;
      expect(got.sort()).toEqual(sent);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  }, 60_000);

  test('stop() ends the process', () => stopAndCheck(svc!), 60_000);
});
