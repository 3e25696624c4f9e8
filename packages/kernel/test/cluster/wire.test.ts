import { Message } from '../../src/types';
import { F_CALL, F_FORWARD, FrameReader, FrameWriter, decodeMessage, encodeMessage, fromRecord, messageRecord, readForward, readJson } from '../../src/cluster/wire';

const msg = (over: Partial<Message> = {}): Message => {
  const m = new Message(2 ** 40 + 7, 2, 'client-é', { retain: true, dup: false, sys: false }, 'a/b/ü', Buffer.from('payload'),
    { messageExpiryInterval: 30, correlationData: Buffer.from([1, 2, 3]), userProperties: { k: 'v' } }, 1_700_000_000_123);
  return Object.assign(m, over);
};

describe('cluster wire: messages', () => {
  test('a message survives the trip, properties with Buffers included', () => {
    const m = msg();
    m.headers.retained = true;
    const b = encodeMessage(m);
    const back = decodeMessage(b, 0, b.length);
    expect(back).toMatchObject({ id: m.id, qos: 2, from: 'client-é', topic: 'a/b/ü', timestamp: m.timestamp, flags: { retain: true, dup: false, sys: false } });
    expect(back.payload.toString()).toBe('payload');
    expect(back.properties).toEqual({ messageExpiryInterval: 30, correlationData: Buffer.from([1, 2, 3]), userProperties: { k: 'v' } });
    expect(back.headers.retained).toBe(true);
  });

  test('encoded once per message, whatever the number of peers', () => {
    const m = msg();
    expect(encodeMessage(m)).toBe(encodeMessage(m));
  });

  test('no properties, empty payload', () => {
    const m = new Message(1, 0, 'c', { retain: false, dup: false, sys: false }, 't', Buffer.alloc(0), undefined, 5);
    const back = fromRecord(messageRecord(m));
    expect(back.properties).toBeUndefined();
    expect(back.payload.length).toBe(0);
    expect(back.headers.retained).toBeUndefined();
  });
});

describe('cluster wire: frames', () => {
  test('forwards and calls come out as written, however the stream is cut', () => {
    const w = new FrameWriter();
    w.forward('a/+', undefined, encodeMessage(msg()));
    w.forward('s/#', 'g1', encodeMessage(msg({ topic: 's/x' } as Partial<Message>)));
    w.json(F_CALL, 42, { op: 'takeover_begin', args: { clientid: 'c1' } });
    expect(w.count).toBe(3);
    const bytes = w.take();
    expect(w.size).toBe(0);
    for (const step of [1, 3, 7, bytes.length]) {
      const got: unknown[] = [];
      const r = new FrameReader((type, b, s, e) => {
        if (type === F_FORWARD) {
          const f = readForward(b, s, e);
          got.push([f.filter, f.group, f.msg.topic]);
        } else got.push(readJson(b, s, e));
      });
      for (let i = 0; i < bytes.length; i += step) r.push(bytes.subarray(i, i + step));
      expect(got).toEqual([['a/+', undefined, 'a/b/ü'], ['s/#', 'g1', 's/x'], { id: 42, body: { op: 'takeover_begin', args: { clientid: 'c1' } } }]);
    }
  });

  test('a frame longer than the limit is refused', () => {
    const r = new FrameReader(() => undefined, 100);
    const b = Buffer.alloc(5);
    b.writeUInt32BE(1000, 0);
    expect(() => r.push(b)).toThrow(/bad cluster frame length/);
  });

  test('the writer grows past its first buffer', () => {
    const w = new FrameWriter();
    const big = Buffer.alloc(200 * 1024, 1);
    const m = new Message(1, 1, 'c', { retain: false, dup: false, sys: false }, 't', big, undefined, 1);
    w.forward('t', undefined, encodeMessage(m));
    w.forward('t', undefined, encodeMessage(m));
    let n = 0;
    const r = new FrameReader((type, b, s, e) => {
      expect(readForward(b, s, e).msg.payload.equals(big)).toBe(true);
      n++;
    });
    r.push(w.take());
    expect(n).toBe(2);
  });
});
