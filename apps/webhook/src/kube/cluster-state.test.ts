import { describe, expect, it } from 'vitest';
import { parseServerVersion, routeAttachesTo } from './cluster-state.js';

const route = (namespace: string, parentRefs: unknown) => ({
  metadata: { namespace, name: 'r' },
  spec: { parentRefs },
});
const gw = { namespace: 'team-a', name: 'gw' };

describe('routeAttachesTo', () => {
  it.each([
    ['a ref by name in the route namespace', route('team-a', [{ name: 'gw' }]), true],
    ['a ref with explicit namespace', route('other', [{ name: 'gw', namespace: 'team-a' }]), true],
    [
      'explicit kind and group',
      route('team-a', [{ name: 'gw', kind: 'Gateway', group: 'gateway.networking.k8s.io' }]),
      true,
    ],
    ['another namespace by default', route('other', [{ name: 'gw' }]), false],
    ['another name', route('team-a', [{ name: 'gw2' }]), false],
    ['another kind', route('team-a', [{ name: 'gw', kind: 'ListenerSet' }]), false],
    ['no parentRefs', route('team-a', undefined), false],
    ['not an object', 'x', false],
  ])('%s → %s', (_title, r, expected) => {
    expect(routeAttachesTo(r, gw)).toBe(expected);
  });
});

describe('parseServerVersion', () => {
  it.each([
    [
      { major: '1', minor: '36' },
      { major: 1, minor: 36 },
    ],
    [
      { major: '1', minor: '33+' },
      { major: 1, minor: 33 },
    ],
  ])('%j → %j', (body, expected) => {
    expect(parseServerVersion(body)).toEqual(expected);
  });

  it('refuses a version without numbers', () => {
    expect(() => parseServerVersion({ major: '', minor: '' })).toThrow(/no usable major\/minor/);
  });
});
