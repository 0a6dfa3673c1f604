// The selector a shard is started with: parsed as the apiserver reads it,
// refused at start-up with a message when the apiserver would refuse it, and
// matched locally with the apiserver's semantics (connections are filtered
// here, not by the apiserver: ../../../src/controller/shard.ts).
import { describe, expect, it } from 'vitest';
import { LabelSelectorError, matchesLabels, parseLabelSelector } from '../../../src/kube/label-selector.ts';

const SHARD = 'coderops.dev/shard';

describe('parseLabelSelector', () => {
  it.each([
    ['', []],
    ['  ', []],
    [`${SHARD}=shard1`, [{ key: SHARD, op: 'in', values: ['shard1'] }]],
    [`${SHARD}==shard1`, [{ key: SHARD, op: 'in', values: ['shard1'] }]],
    [`${SHARD} != shard1`, [{ key: SHARD, op: 'notin', values: ['shard1'] }]],
    [`!${SHARD}`, [{ key: SHARD, op: 'absent' }]],
    [SHARD, [{ key: SHARD, op: 'exists' }]],
    [
      `${SHARD} in (a, b),tier notin (x),!legacy`,
      [
        { key: SHARD, op: 'in', values: ['a', 'b'] },
        { key: 'tier', op: 'notin', values: ['x'] },
        { key: 'legacy', op: 'absent' },
      ],
    ],
    ['team=', [{ key: 'team', op: 'in', values: [''] }]],
  ])('%j', (text, requirements) => {
    expect(parseLabelSelector(text)).toEqual({ text: text.trim(), requirements });
  });

  it.each([
    ['a=b,', 'an empty requirement'],
    ['a=b,,c', 'an empty requirement'],
    ['bad key=x', 'is not a requirement'],
    ['-a=b', '"-a" is not a label name'],
    ['Example.COM/a=b', '"Example.COM" is not a DNS subdomain prefix'],
    ['a/', '"a/" has no name'],
    ['/a', '"" is not a DNS subdomain prefix'],
    ['a=b c', 'is not a requirement'],
    [`a=${'v'.repeat(64)}`, 'is not a label value'],
    ['a in ()', 'lists no value'],
    ['replicas>1', 'numeric < and > forms are not supported'],
    ['a in (b,-c)', '"-c" is not a label value'],
  ])('refuses %j, saying what is wrong and showing a good one', (text, problem) => {
    const parse = () => parseLabelSelector(text);
    expect(parse).toThrow(LabelSelectorError);
    expect(parse).toThrow(problem);
    expect(parse).toThrow('e.g. coderops.dev/shard=shard1');
  });
});

describe('matchesLabels', () => {
  const none = {};
  const s1 = { [SHARD]: 'shard1' };
  const s2 = { [SHARD]: 'shard2', team: 'a' };
  it.each([
    ['', none, true],
    ['', s1, true],
    [`${SHARD}=shard1`, s1, true],
    [`${SHARD}=shard1`, s2, false],
    [`${SHARD}=shard1`, none, false],
    [`!${SHARD}`, none, true],
    [`!${SHARD}`, s1, false],
    [SHARD, s2, true],
    [SHARD, none, false],
    // != and notin hold when the label is missing, as in the apiserver.
    [`${SHARD}!=shard1`, none, true],
    [`${SHARD}!=shard1`, s1, false],
    [`${SHARD} notin (shard1,shard2)`, s2, false],
    [`${SHARD} in (shard1,shard2)`, s2, true],
    [`${SHARD} in (shard1,shard2),team=a`, s2, true],
    [`${SHARD} in (shard1,shard2),team=a`, s1, false],
  ])('%j against %j: %s', (text, labels, expected) => {
    expect(matchesLabels(parseLabelSelector(text), labels)).toBe(expected);
  });

  it('undefined labels are no labels', () => {
    expect(matchesLabels(parseLabelSelector(`!${SHARD}`), undefined)).toBe(true);
    expect(matchesLabels(parseLabelSelector(`${SHARD}=shard1`), undefined)).toBe(false);
  });
});
