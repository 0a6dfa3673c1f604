// The peer-k8s mode's pure parts: its section of latest.md (rendered from the
// rows, put between markers in place of the previous one, the rest of the
// file left as it was) and the objects that route the aggregated group to a
// loopback endpoint.
import { describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../../bench/cli-mode.ts';
import { BEGIN, END, renderPeerK8s, spliceSection } from '../../../bench/peer-k8s-report.ts';
import { apiServiceObjects } from '../../../test/peer/aggregation.ts';

const row = (scenario: string, extra: ScenarioResult['extra'], more: Partial<ScenarioResult> = {}): ScenarioResult => ({
  mode: 'peer-k8s',
  scenario,
  n: 1000,
  latencyMs: 0,
  ok: true,
  extra,
  notes: [],
  ...more,
});

describe('renderPeerK8s', () => {
  it('renders nothing without peer-k8s rows', () => {
    expect(renderPeerK8s([{ ...row('x', {}), mode: 'peers' }])).toEqual([]);
  });

  it('puts both kubectl gets and every transition in its tables, and names a failed part', () => {
    const md = renderPeerK8s([
      row('kubectl get: cwo (workspaces.coderops.dev)', {
        rows: 1000,
        p50Ms: 900,
        minMs: 800,
        maxMs: 1200,
        coderCallsPerGet: 0,
        operatorCpuMsPerGet: 3,
      }),
      row('kubectl get: coder-k8s (coderworkspaces.aggregation.coder.com)', {
        rows: 1000,
        p50Ms: 1500,
        coderCallsPerGet: 1,
        peerCpuMsPerGet: 90,
      }),
      row(
        'stop by kubectl patch ×40: coder-k8s',
        { clientMs: 6000, allBuildsEndedMs: 9000, kubectlShowsMs: 9500, callsPerWorkspace: 3, callsByKubectlReads: 21 },
        { n: 40, reads: 80, writes: 40 },
      ),
      row('setup', {}, { ok: false, notes: ['Error: coderd v2.30.0 is not built'] }),
    ]).join('\n');
    expect(md).toContain('| cwo (workspaces.coderops.dev) | 1000 | 1000 | 900 | 800 | 1200 | 0 |');
    expect(md).toContain('| coder-k8s (coderworkspaces.aggregation.coder.com) | 1000 | 1000 | 1500 | — | — | 1 | — | 90 | — | yes |');
    expect(md).toContain('| stop by kubectl patch ×40: coder-k8s | 40 | 6.00 | 9.00 | 9.50 | 120 (80/40) | 3 | 21 |');
    expect(md).toContain('**setup failed**: Error: coderd v2.30.0 is not built');
  });
});

describe('spliceSection', () => {
  const full = '# Benchmark results\n\n| a | b |\n\n## Notes\n\n- one\n';

  it('appends the section between markers when latest.md has none', () => {
    const out = spliceSection(full, ['', '## coder-k8s beside cwo', 'first']);
    expect(out.startsWith(full.trimEnd())).toBe(true);
    expect(out.endsWith(`${BEGIN}\n## coder-k8s beside cwo\nfirst\n${END}\n`)).toBe(true);
  });

  it('replaces the previous section only, keeping what follows it', () => {
    const once = `${spliceSection(full, ['old figures'])}\n## After\n`;
    const twice = spliceSection(once, ['new figures']);
    expect(twice).not.toContain('old figures');
    expect(twice).toContain(`${BEGIN}\nnew figures\n${END}\n`);
    expect(twice.endsWith('\n## After\n')).toBe(true);
    expect(twice.split(BEGIN)).toHaveLength(2);
  });
});

describe('apiServiceObjects', () => {
  const objects = apiServiceObjects({
    group: 'aggregation.coder.com',
    version: 'v1alpha1',
    namespace: 'p',
    service: 's',
    port: 40123,
  }) as any[];
  const kind = (k: string) => objects.find((o) => o.kind === k);

  it('routes the group/version to 127.0.0.1:port through an FQDN EndpointSlice of the Service', () => {
    expect(kind('APIService').metadata.name).toBe('v1alpha1.aggregation.coder.com');
    expect(kind('APIService').spec.service).toEqual({ name: 's', namespace: 'p', port: 443 });
    const slice = kind('EndpointSlice');
    // IPv4 slices (and Endpoints) refuse loopback addresses; FQDN takes it as four labels.
    expect(slice.addressType).toBe('FQDN');
    expect(slice.endpoints[0].addresses).toEqual(['127.0.0.1']);
    expect(slice.metadata.labels['kubernetes.io/service-name']).toBe('s');
    // The aggregator matches the slice's port to the Service port by name and dials the slice's.
    expect(slice.ports[0]).toMatchObject({ name: kind('Service').spec.ports[0].name, port: 40123 });
  });
});
