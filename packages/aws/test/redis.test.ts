import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createRedisClient } from '../src/index.ts';

describe('createRedisClient', () => {
  it('fails a command at once while Redis is unreachable, instead of queueing it', async () => {
    const redis = createRedisClient('redis://127.0.0.1:1', { lazyConnect: true });
    redis.on('error', () => {});
    await redis.connect().catch(() => {});
    const started = Date.now();
    await expect(redis.get('k')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_000);
    redis.disconnect();
  });

  it('bounds a command when Redis accepts the connection but never answers', async () => {
    // A hung Redis: it completes the client's handshake, then never answers a GET.
    const silent = createServer((socket) =>
      socket.on('data', (data) => {
        if (/\bget\b/i.test(data.toString())) return;
        for (const _command of data.toString().matchAll(/^\*/gm)) socket.write('+OK\r\n');
      }),
    );
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const redis = createRedisClient(`redis://127.0.0.1:${port}`, { enableReadyCheck: false });
    redis.on('error', () => {});
    await new Promise((resolve) => redis.once('ready', resolve));
    await expect(redis.get('k')).rejects.toThrow(/timed out/i);
    redis.disconnect();
    silent.close();
  });
});
