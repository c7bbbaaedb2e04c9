import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goPackages, GoBuildInfoScanner } from '../../../src/registry/scan/parsers/go-buildinfo.js';
import { goBinary, lines } from './fixtures.js';

const MODINFO = lines(
  'path\texample.com/app',
  'mod\texample.com/app\t(devel)\t',
  'dep\tgolang.org/x/net\tv0.17.0\th1:abc=',
  'dep\tgithub.com/old/dep\tv1.0.0\th1:def=',
  '=>\tgithub.com/new/dep\tv1.1.0\th1:ghi=',
  'dep\texample.com/local\tv0.0.0-00010101000000-000000000000',
  '=>\t../local\t',
  'build\t-compiler=gc',
);

function scan(bytes: Buffer, chunk: number): GoBuildInfoScanner['result'] {
  const scanner = new GoBuildInfoScanner();
  for (let i = 0; i < bytes.length; i += chunk) scanner.push(bytes.subarray(i, i + chunk));
  return scanner.result;
}

test('finds inline build info wherever the chunks split it', () => {
  const bin = goBinary('go1.21.5', MODINFO);
  for (const chunk of [1, 7, 13, 64, 4096, bin.length]) {
    const info = scan(bin, chunk);
    assert.ok(info && info !== 'pre-1.18', `chunk ${chunk}`);
    assert.equal(info.goVersion, 'go1.21.5');
    assert.equal(info.modinfo, MODINFO);
  }
});

test('build info becomes stdlib, the main module when versioned, and the (replaced) deps', () => {
  const info = scan(goBinary('go1.21.5', MODINFO), 512);
  assert.ok(info && info !== 'pre-1.18');
  assert.deepEqual(
    goPackages(info, 'usr/bin/app').map((p) => [p.name, p.version]),
    [['stdlib', 'v1.21.5'], ['golang.org/x/net', 'v0.17.0'], ['github.com/new/dep', 'v1.1.0']],
  );
});

test('not ELF, or ELF without build info: nothing', () => {
  const bin = goBinary('go1.21.5', MODINFO);
  const notElf = Buffer.from(bin);
  notElf[0] = 0;
  assert.equal(scan(notElf, 100), undefined);
  assert.equal(scan(Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(10000, 0xff)]), 100), undefined);
});

test('an old-format (pointer) header is reported as such', () => {
  const bin = goBinary('go1.16', MODINFO);
  const at = bin.indexOf(Buffer.from('\xff Go buildinf:', 'latin1'), 16);
  bin[at + 15] = 0;
  assert.equal(scan(bin, 256), 'pre-1.18');
});
