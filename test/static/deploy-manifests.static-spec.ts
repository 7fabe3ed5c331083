import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { configVariables } from '@app/common';
import { API_CONFIG_SLICES } from '../../apps/api/src/api-config';
import { WORKER_CONFIG_SLICES } from '../../apps/worker/src/worker-config';

type Manifest = {
  kind: string;
  metadata: { name: string };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
};

const dir = join(__dirname, '..', '..', 'deploy', 'k8s');
const manifests: Manifest[] = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Manifest));
const byKind = (kind: string, name?: string) => manifests.filter((m) => m.kind === kind && (!name || m.metadata.name === name));

describe('Kubernetes manifests (deploy/k8s)', () => {
  it('declare api and worker Deployments, Service, HPA, PDB, ConfigMap, Secret and a migration Job', () => {
    expect(
      byKind('Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['modelgate-api', 'modelgate-worker']);
    for (const kind of ['Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'ConfigMap', 'Secret', 'Job']) {
      expect({ kind, count: byKind(kind).length }).toEqual({ kind, count: 1 });
    }
  });

  it('probe the API on /health/live and /health/ready and bound its resources', () => {
    const api = byKind('Deployment', 'modelgate-api')[0].spec.template.spec.containers[0];
    expect(api.livenessProbe.httpGet.path).toBe('/health/live');
    expect(api.readinessProbe.httpGet.path).toBe('/health/ready');
    for (const d of byKind('Deployment')) {
      const c = d.spec.template.spec.containers[0];
      expect(c.resources.requests).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
      expect(c.resources.limits).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
    }
  });

  it('give the API pod one inference thread per CPU of its limit beyond the first', () => {
    const api = byKind('Deployment', 'modelgate-api')[0].spec.template.spec.containers[0];
    const threads = Number(api.env.find((e: { name: string }) => e.name === 'INFERENCE_THREADS')?.value);
    expect(threads).toBe(Math.max(1, Number(api.resources.limits.cpu) - 1));
  });

  it('scale the API on CPU and keep one pod through disruptions', () => {
    const hpa = byKind('HorizontalPodAutoscaler')[0].spec;
    expect(hpa.scaleTargetRef.name).toBe('modelgate-api');
    expect(hpa.metrics[0].resource.name).toBe('cpu');
    expect(byKind('PodDisruptionBudget')[0].spec.minAvailable).toBe(1);
  });

  it('only set configuration variables ModelGate knows', () => {
    const known = new Set([...configVariables(API_CONFIG_SLICES), ...configVariables(WORKER_CONFIG_SLICES)]);
    const env = byKind('Deployment').flatMap((d) => (d.spec.template.spec.containers[0].env ?? []).map((e: { name: string }) => e.name));
    const keys = [...Object.keys(byKind('ConfigMap')[0].data ?? {}), ...Object.keys(byKind('Secret')[0].stringData ?? {}), ...env];
    expect(keys.filter((k) => !known.has(k))).toEqual([]);
  });
});
