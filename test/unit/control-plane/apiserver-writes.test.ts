import { describe, expect, it } from 'vitest';
import { apiserverWritesFrom } from '../../control-plane/apiserver-writes.ts';

describe('apiserverWritesFrom', () => {
  it('sums write requests by verb and resource, and ignores reads and other metrics', () => {
    const text = [
      '# HELP apiserver_request_total Counter of apiserver requests',
      'apiserver_request_total{code="200",component="apiserver",group="coderops.dev",resource="workspaces",' +
        'subresource="status",verb="PATCH",version="v1alpha1"} 3',
      'apiserver_request_total{code="409",component="apiserver",group="coderops.dev",resource="workspaces",' +
        'subresource="status",verb="PATCH",version="v1alpha1"} 1',
      'apiserver_request_total{code="201",component="apiserver",group="events.k8s.io",resource="events",' +
        'subresource="",verb="POST",version="v1"} 2',
      'apiserver_request_total{code="200",component="apiserver",group="coderops.dev",resource="workspaces",' +
        'subresource="",verb="LIST",version="v1alpha1"} 9',
      'apiserver_request_duration_seconds_count{resource="workspaces",verb="PATCH"} 4',
    ].join('\n');
    expect(Object.fromEntries(apiserverWritesFrom(text))).toEqual({ 'PATCH workspaces/status': 4, 'POST events': 2 });
  });
});
