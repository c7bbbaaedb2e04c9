import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, test } from 'node:test';
import { NotFound, type StorageDriver } from '../../src/registry/driver.js';

// The one suite every storage driver must pass (filesystem now; an
// S3-compatible driver later), as distribution runs testsuites.Driver.

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export function driverConformance(name: string, open: () => Promise<{ driver: StorageDriver; close(): Promise<void> }>) {
  let driver: StorageDriver;
  let close: () => Promise<void>;
  before(async () => {
    ({ driver, close } = await open());
  });
  after(async () => close());

  test(`${name}: absent objects read as absent`, async () => {
    assert.equal(await driver.stat('nothing/here'), undefined);
    assert.equal(await driver.getContent('nothing/here'), undefined);
    assert.deepEqual(await driver.list('nothing'), []);
    await assert.rejects(driver.reader('nothing/here'), NotFound);
    await assert.rejects(driver.move('nothing/here', 'x/y'), NotFound);
    await driver.delete('nothing/here');
  });

  test(`${name}: putContent then getContent, stat and list`, async () => {
    await driver.putContent('a/b/c', 'hello');
    assert.equal((await driver.getContent('a/b/c'))!.toString(), 'hello');
    assert.equal((await driver.stat('a/b/c'))!.size, 5);
    assert.deepEqual(await driver.list('a/b'), ['c']);
    await driver.putContent('a/b/c', Buffer.from('replaced'));
    assert.equal((await driver.getContent('a/b/c'))!.toString(), 'replaced');
    assert.deepEqual(await driver.list('a/b'), ['c'], 'no temporary objects are listed');
  });

  test(`${name}: ranged readers return exactly the bytes asked for`, async () => {
    const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    await driver.putContent('ranged', data);
    assert.deepEqual(await readAll(await driver.reader('ranged')), data);
    assert.deepEqual(await readAll(await driver.reader('ranged', { start: 10, end: 19 })), data.subarray(10, 20));
    assert.deepEqual(await readAll(await driver.reader('ranged', { start: 2999, end: 2999 })), data.subarray(2999));
  });

  test(`${name}: writers append at the offset they are given`, async () => {
    await pipeline(Readable.from([Buffer.from('abc')]), await driver.writer('staged/x', 0));
    await pipeline(Readable.from([Buffer.from('def')]), await driver.writer('staged/x', 3));
    assert.equal((await driver.getContent('staged/x'))!.toString(), 'abcdef');
    // Rewriting from an earlier offset overwrites (a resumed upload re-sends from its last good byte).
    await pipeline(Readable.from([Buffer.from('XY')]), await driver.writer('staged/x', 4));
    assert.equal((await driver.getContent('staged/x'))!.toString(), 'abcdXY');
  });

  test(`${name}: move is a rename that replaces the target`, async () => {
    await driver.putContent('m/from', 'one');
    await driver.putContent('m/to', 'old');
    await driver.move('m/from', 'm/to');
    assert.equal(await driver.stat('m/from'), undefined);
    assert.equal((await driver.getContent('m/to'))!.toString(), 'one');
    await driver.move('m/to', 'deep/new/place');
    assert.equal((await driver.getContent('deep/new/place'))!.toString(), 'one');
  });

  test(`${name}: delete removes an object or a whole prefix`, async () => {
    await driver.putContent('d/1', '1');
    await driver.putContent('d/sub/2', '2');
    await driver.delete('d/1');
    assert.deepEqual(await driver.list('d'), ['sub']);
    await driver.delete('d');
    assert.equal(await driver.stat('d/sub/2'), undefined);
  });

  test(`${name}: touch sets the modification time garbage collection reads`, async () => {
    await driver.putContent('t', 'x');
    await driver.touch('t', 1_000_000_000_000);
    assert.equal(Math.round((await driver.stat('t'))!.modifiedAt), 1_000_000_000_000);
    await assert.rejects(driver.touch('absent', 1), NotFound);
  });

  test(`${name}: keys cannot escape the driver's root`, async () => {
    await assert.rejects(async () => driver.putContent('../escape', 'x'));
  });
}
