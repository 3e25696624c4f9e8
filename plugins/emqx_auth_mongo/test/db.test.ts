// A server that accepts connections and never answers: every query fails within query_timeout.
import * as net from 'node:net';
import { Db } from '../src/db';
import { clientSettings } from '../src/options';

test('a silent server: findOne and find reject within query_timeout', async () => {
  const sockets: net.Socket[] = [];
  const srv = net.createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const db = new Db(clientSettings({ 'auth.mongo.server': `127.0.0.1:${port}`, 'auth.mongo.query_timeout': 300 }));
  try {
    const t0 = Date.now();
    await expect(db.findOne('mqtt_user', { username: 'a' })).rejects.toBeInstanceOf(Error);
    await expect(db.find('mqtt_acl', { username: 'a' })).rejects.toBeInstanceOf(Error);
    expect(Date.now() - t0).toBeLessThan(3000);
    await expect(db.open()).rejects.toBeInstanceOf(Error);
  } finally {
    await db.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => srv.close(r));
  }
});
