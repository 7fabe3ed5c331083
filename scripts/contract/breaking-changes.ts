/**
 * Finds changes to an OpenAPI document that would break a client generated from an older one:
 * a removed path or operation, a removed response field, a new required request field or parameter,
 * a changed field type, or a narrowed enum.
 */
type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  nullable?: boolean;
};
type Parameter = { name: string; in: string; required?: boolean; schema?: Schema };
type Operation = {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  deprecated?: boolean;
};
export type OpenApiDoc = {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export function breakingChanges(before: OpenApiDoc, after: OpenApiDoc, pathFilter = (_p: string) => true): string[] {
  const problems: string[] = [];
  const resolve = (doc: OpenApiDoc, s: Schema | undefined, seen = new Set<string>()): Schema | undefined => {
    if (!s?.$ref) return s;
    if (seen.has(s.$ref)) return {};
    seen.add(s.$ref);
    return resolve(doc, doc.components?.schemas?.[s.$ref.replace('#/components/schemas/', '')], seen);
  };
  const merged = (doc: OpenApiDoc, s: Schema | undefined): Schema | undefined => {
    const r = resolve(doc, s);
    if (!r?.allOf) return r;
    const parts = r.allOf.map((p) => merged(doc, p) ?? {});
    return {
      ...r,
      properties: Object.assign({}, r.properties, ...parts.map((p) => p.properties ?? {})),
      required: [...(r.required ?? []), ...parts.flatMap((p) => p.required ?? [])],
    };
  };

  /** direction 'response': fields must not disappear. 'request': no new required fields. */
  const compare = (where: string, a: Schema | undefined, b: Schema | undefined, direction: 'request' | 'response', depth = 0) => {
    const x = merged(before, a);
    const y = merged(after, b);
    if (!x || !y || depth > 12) return;
    if (x.type && y.type && JSON.stringify(x.type) !== JSON.stringify(y.type)) {
      problems.push(`${where}: type changed from ${JSON.stringify(x.type)} to ${JSON.stringify(y.type)}`);
      return;
    }
    if (x.enum && y.enum) {
      const removed = x.enum.filter((v) => !y.enum!.includes(v));
      if (removed.length) problems.push(`${where}: enum narrowed (removed ${removed.map(String).join(', ')})`);
    } else if (!x.enum && y.enum && direction === 'request') {
      problems.push(`${where}: now restricted to an enum`);
    }
    const xp = x.properties ?? {};
    const yp = y.properties ?? {};
    for (const name of Object.keys(xp)) {
      if (!(name in yp)) {
        if (direction === 'response') problems.push(`${where}.${name}: response field removed`);
        continue;
      }
      compare(`${where}.${name}`, xp[name], yp[name], direction, depth + 1);
    }
    if (direction === 'request') {
      const wasRequired = new Set(x.required ?? []);
      for (const name of y.required ?? []) {
        if (!wasRequired.has(name)) problems.push(`${where}.${name}: new required request field`);
      }
    }
    if (x.items || y.items) compare(`${where}[]`, x.items, y.items, direction, depth + 1);
  };

  for (const [path, ops] of Object.entries(before.paths)) {
    if (!pathFilter(path)) continue;
    const nextOps = after.paths[path];
    if (!nextOps) {
      problems.push(`${path}: path removed`);
      continue;
    }
    for (const method of METHODS) {
      const op = ops[method];
      if (!op) continue;
      const next = nextOps[method];
      const id = `${method.toUpperCase()} ${path}`;
      if (!next) {
        problems.push(`${id}: operation removed`);
        continue;
      }
      const oldParams = new Map((op.parameters ?? []).map((p) => [`${p.in}:${p.name}`, p]));
      for (const p of next.parameters ?? []) {
        const old = oldParams.get(`${p.in}:${p.name}`);
        if (p.required && !old?.required) problems.push(`${id}: new required ${p.in} parameter ${p.name}`);
        if (old) compare(`${id} ${p.in}:${p.name}`, old.schema, p.schema, 'request');
      }
      if (next.requestBody?.required && !op.requestBody?.required) problems.push(`${id}: request body became required`);
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        const nextMedia = next.requestBody?.content?.[type];
        if (!nextMedia) problems.push(`${id}: request content type ${type} removed`);
        else compare(`${id} request`, media.schema, nextMedia.schema, 'request');
      }
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        if (!/^2/.test(status)) continue;
        const nextResponse = next.responses?.[status];
        if (!nextResponse) {
          problems.push(`${id}: success response ${status} removed`);
          continue;
        }
        for (const [type, media] of Object.entries(response.content ?? {})) {
          const nextMedia = nextResponse.content?.[type];
          if (!nextMedia) problems.push(`${id} ${status}: response content type ${type} removed`);
          else compare(`${id} ${status}`, media.schema, nextMedia.schema, 'response');
        }
      }
    }
  }
  return problems;
}
