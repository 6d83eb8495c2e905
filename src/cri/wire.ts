/**
 * Conversion between our message shapes and what @grpc/proto-loader produces and consumes.
 *
 * The proto is loaded with `longs: String`, so 64-bit integers arrive as decimal strings and
 * never pass through a lossy `number`. `fromWire` turns exactly the 64-bit fields (found from
 * the message descriptors, so string fields stay strings) into `bigint`, and drops sub-messages
 * the runtime did not send (proto-loader's `null`) so that they read as `undefined`.
 * `toWire` turns every `bigint` in a request into a decimal string, which protobufjs encodes
 * exactly; `number` values pass through.
 */

const INT64_TYPES = new Set(['TYPE_INT64', 'TYPE_UINT64', 'TYPE_SINT64', 'TYPE_FIXED64', 'TYPE_SFIXED64']);

/** How to convert one field of one message. Fields that need nothing are not listed. */
type FieldPlan =
  | { name: string; kind: 'int64'; repeated: boolean }
  | { name: string; kind: 'message'; repeated: boolean; type: string }
  | { name: string; kind: 'map'; value: 'int64' | { type: string } };

/** Field plans by fully qualified message name (`runtime.v1.ContainerStatus`). */
export type WirePlan = ReadonlyMap<string, readonly FieldPlan[]>;

interface FieldDescriptor {
  name: string;
  label: string;
  type: string;
  typeName: string;
}

interface MessageDescriptor {
  field: FieldDescriptor[];
  nestedType: (MessageDescriptor & { name: string; options?: { mapEntry?: boolean } | null })[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function asMessageDescriptor(def: unknown): MessageDescriptor | undefined {
  if (!isRecord(def) || def.format !== 'Protocol Buffer 3 DescriptorProto' || !isRecord(def.type)) return undefined;
  const type = def.type;
  if (!Array.isArray(type.field) || !Array.isArray(type.nestedType)) return undefined;
  return type as unknown as MessageDescriptor;
}

/**
 * Builds the conversion plan from a proto-loader package definition (the values of its
 * `runtime.v1.*` message entries). Pure; done once per loaded definition.
 */
export function buildWirePlan(definition: Readonly<Record<string, unknown>>, pkg = 'runtime.v1'): WirePlan {
  const messages = new Map<string, MessageDescriptor>();
  for (const [name, def] of Object.entries(definition)) {
    const desc = asMessageDescriptor(def);
    if (desc) messages.set(name, desc);
  }
  const resolve = (typeName: string): string => {
    const bare = typeName.startsWith('.') ? typeName.slice(1) : typeName;
    return messages.has(bare) ? bare : `${pkg}.${bare}`;
  };
  const plan = new Map<string, FieldPlan[]>();
  for (const [msgName, desc] of messages) {
    const fields: FieldPlan[] = [];
    for (const f of desc.field) {
      const repeated = f.label === 'LABEL_REPEATED';
      if (INT64_TYPES.has(f.type)) {
        fields.push({ name: f.name, kind: 'int64', repeated });
        continue;
      }
      if (f.type !== 'TYPE_MESSAGE') continue;
      const entry = desc.nestedType.find((n) => n.name === f.typeName && n.options?.mapEntry === true);
      if (entry) {
        const value = entry.field.find((v) => v.name === 'value');
        if (value && INT64_TYPES.has(value.type)) fields.push({ name: f.name, kind: 'map', value: 'int64' });
        else if (value?.type === 'TYPE_MESSAGE') {
          fields.push({ name: f.name, kind: 'map', value: { type: resolve(value.typeName) } });
        }
        continue;
      }
      const type = resolve(f.typeName);
      if (!messages.has(type)) throw new Error(`wire plan: ${msgName}.${f.name} has unknown type ${f.typeName}`);
      fields.push({ name: f.name, kind: 'message', repeated, type });
    }
    plan.set(msgName, fields);
  }
  return plan;
}

function toBigInt(v: unknown, where: string): bigint {
  if (typeof v === 'string' || typeof v === 'number') return BigInt(v);
  if (typeof v === 'bigint') return v;
  throw new TypeError(`CRI wire: ${where} is not a 64-bit integer (${typeof v})`);
}

/**
 * Returns a converted copy of a decoded message of type `type`: 64-bit strings become bigint,
 * null sub-messages are removed. Values of unknown types pass through unchanged.
 */
export function fromWire(plan: WirePlan, type: string, value: unknown): unknown {
  if (!isRecord(value)) return value;
  const fields = plan.get(type);
  if (!fields) return value;
  const out: Record<string, unknown> = { ...value };
  for (const f of fields) {
    const v = out[f.name];
    if (v === null || v === undefined) {
      delete out[f.name];
      continue;
    }
    const where = `${type}.${f.name}`;
    switch (f.kind) {
      case 'int64':
        out[f.name] = f.repeated && Array.isArray(v) ? v.map((x) => toBigInt(x, where)) : toBigInt(v, where);
        break;
      case 'message':
        out[f.name] = f.repeated && Array.isArray(v) ? v.map((x) => fromWire(plan, f.type, x)) : fromWire(plan, f.type, v);
        break;
      case 'map': {
        if (!isRecord(v)) break;
        const m: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) {
          m[k] = f.value === 'int64' ? toBigInt(x, where) : fromWire(plan, f.value.type, x);
        }
        out[f.name] = m;
        break;
      }
    }
  }
  return out;
}

/** Deep copy of a request with every bigint replaced by its decimal string. */
export function toWire(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toWire);
  if (!isRecord(value) || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) out[k] = toWire(v);
  }
  return out;
}
