import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cvss2BaseScore, cvss2Rating, cvss3BaseScore, cvss3Rating } from '../../../src/registry/scan/cvss.js';

test('CVSS v3 base scores of known vectors', () => {
  const known: Array<[string, number]> = [
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 5.5],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 5.9],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
    // Temporal metrics do not change the base score.
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O', 9.8],
  ];
  for (const [vector, score] of known) assert.equal(cvss3BaseScore(vector), score, vector);
});

test('CVSS v3 rejects what it cannot score', () => {
  assert.equal(cvss3BaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'), undefined);
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H'), undefined);
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), undefined);
});

test('CVSS v2 base scores of known vectors', () => {
  const known: Array<[string, number]> = [
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5],
    ['AV:N/AC:M/Au:N/C:N/I:P/A:N', 4.3],
    ['AV:N/AC:L/Au:N/C:C/I:C/A:C', 10.0],
    ['AV:L/AC:L/Au:N/C:C/I:C/A:C', 7.2],
    ['(AV:N/AC:L/Au:N/C:N/I:N/A:P)', 5.0],
    ['AV:N/AC:L/Au:N/C:N/I:N/A:N', 0],
  ];
  for (const [vector, score] of known) assert.equal(cvss2BaseScore(vector), score, vector);
  assert.equal(cvss2BaseScore('AV:N/AC:L'), undefined);
});

test('ratings follow each version’s scale', () => {
  assert.deepEqual([9.0, 8.9, 7.0, 6.9, 4.0, 3.9, 0.1, 0].map(cvss3Rating), ['CRITICAL', 'HIGH', 'HIGH', 'MEDIUM', 'MEDIUM', 'LOW', 'LOW', 'INFORMATIONAL']);
  assert.deepEqual([10, 7.0, 6.9, 4.0, 3.9, 0].map(cvss2Rating), ['HIGH', 'HIGH', 'MEDIUM', 'MEDIUM', 'LOW', 'INFORMATIONAL']);
});
