import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSync } from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';
import { ALL_METHODS, LOAD_OPTIONS, PROTO_PATH, bindDefinition } from './proto.js';
import type { ContainerStatusResponse } from './types-container.js';
import type { PodSandboxStatusResponse } from './types-sandbox.js';
import type { ListContainerStatsResponse } from './types-stats.js';
import { buildWirePlan, fromWire, toWire } from './wire.js';

/** What the runtime saw: proto-loader's decoding of a request (64-bit values as strings). */
interface WireCreateContainer {
  config: {
    labels: Record<string, string>;
    workingDir: string;
    linux: {
      resources: Record<string, string>;
      securityContext: { runAsUser: { value: string }; supplementalGroups: string[] };
    };
  };
}

const definition = loadSync(PROTO_PATH, LOAD_OPTIONS);
const cri = bindDefinition(definition);

function raw(service: string, method: string): MethodDefinition<object, object> {
  return (definition[`runtime.v1.${service}`] as Record<string, MethodDefinition<object, object>>)[method]!;
}

test('the proto binds every CRI method the client offers', () => {
  assert.equal(cri.methods.size, ALL_METHODS.length);
  assert.equal(cri.methods.get('RunPodSandbox')?.path, '/runtime.v1.RuntimeService/RunPodSandbox');
  assert.equal(cri.methods.get('PullImage')?.path, '/runtime.v1.ImageService/PullImage');
});

test('the plan lists every 64-bit field of every message', () => {
  const plan = buildWirePlan(definition);
  let int64Fields = 0;
  for (const [name, def] of Object.entries(definition)) {
    const type = (def as { type?: { field?: { name: string; type: string }[] } }).type;
    if (!type?.field || !('format' in def) || def.format !== 'Protocol Buffer 3 DescriptorProto') continue;
    for (const f of type.field) {
      if (!/^TYPE_(S?FIXED|U?INT|SINT)64$/.test(f.type)) continue;
      int64Fields++;
      assert.ok(plan.get(name)?.some((p) => p.name === f.name && p.kind === 'int64'), `${name}.${f.name}`);
    }
  }
  assert.ok(int64Fields >= 31, `found ${int64Fields} 64-bit fields`);
});

test('decoding: int64/uint64 become exact bigints, nested and repeated too; strings stay strings', () => {
  const max = 2n ** 63n - 1n;
  const bytes = raw('RuntimeService', 'PodSandboxStatus').responseSerialize({
    status: { id: '123', createdAt: max.toString(), metadata: { name: 'p', uid: '99999999999999999999' } },
    containersStatuses: [{ id: 'c', createdAt: '5', resources: { linux: { memoryLimitInBytes: '-1' } } }],
    timestamp: '1795972535408665621',
  });
  const out = cri.methods.get('PodSandboxStatus')!.deserialize(bytes) as PodSandboxStatusResponse;
  assert.equal(out.status?.createdAt, max);
  assert.equal(out.status?.id, '123');
  assert.equal(out.status?.metadata?.uid, '99999999999999999999', 'a numeric-looking string field stays a string');
  assert.equal(out.status?.network, undefined);
  assert.equal(out.timestamp, 1_795_972_535_408_665_621n);
  assert.equal(out.containersStatuses[0]?.createdAt, 5n);
  assert.equal(out.containersStatuses[0]?.startedAt, 0n);
  assert.equal(out.containersStatuses[0]?.resources?.linux?.memoryLimitInBytes, -1n);
  assert.deepEqual(out.info, {});

  const stats = raw('RuntimeService', 'ListContainerStats').responseSerialize({
    stats: [{ cpu: { timestamp: '1', usageCoreNanoSeconds: { value: '18446744073709551615' } } }],
  });
  const s = cri.methods.get('ListContainerStats')!.deserialize(stats) as ListContainerStatsResponse;
  assert.equal(s.stats[0]?.cpu?.usageCoreNanoSeconds?.value, 2n ** 64n - 1n);
  assert.equal(s.stats[0]?.memory, undefined);

  const groups = raw('RuntimeService', 'ContainerStatus').responseSerialize({
    status: { user: { linux: { uid: '0', gid: '1', supplementalGroups: ['2', '3'] } } },
  });
  const g = cri.methods.get('ContainerStatus')!.deserialize(groups) as ContainerStatusResponse;
  assert.deepEqual(g.status?.user?.linux, { uid: 0n, gid: 1n, supplementalGroups: [2n, 3n] });
});

test('encoding: bigint and number inputs arrive exactly; undefined fields are left out', () => {
  const bytes = cri.methods.get('CreateContainer')!.serialize({
    podSandboxId: 's',
    config: {
      metadata: { name: 'c' },
      linux: {
        resources: { memoryLimitInBytes: 2n ** 62n + 3n, cpuShares: 2, oomScoreAdj: -997 },
        securityContext: { runAsUser: { value: 1000n }, supplementalGroups: [1n, 2] },
      },
      labels: { k: 'v' },
      workingDir: undefined,
    },
  });
  const req = raw('RuntimeService', 'CreateContainer').requestDeserialize(bytes) as WireCreateContainer;
  const linux = req.config.linux;
  assert.equal(linux.resources.memoryLimitInBytes, (2n ** 62n + 3n).toString());
  assert.equal(linux.resources.cpuShares, '2');
  assert.equal(linux.resources.oomScoreAdj, '-997');
  assert.equal(linux.securityContext.runAsUser.value, '1000');
  assert.deepEqual(linux.securityContext.supplementalGroups, ['1', '2']);
  assert.deepEqual(req.config.labels, { k: 'v' });
  assert.equal(req.config.workingDir, '');
});

test('toWire and fromWire leave unrelated values alone', () => {
  const buf = Buffer.from('x');
  assert.deepEqual(toWire({ a: [1n, 'b', buf], c: null }), { a: ['1', 'b', buf], c: null });
  assert.equal((toWire({ a: buf }) as { a: Buffer }).a, buf);
  assert.equal(fromWire(cri.plan, 'runtime.v1.Unknown', 5), 5);
  assert.throws(() => fromWire(cri.plan, 'runtime.v1.Int64Value', { value: {} }), TypeError);
});
