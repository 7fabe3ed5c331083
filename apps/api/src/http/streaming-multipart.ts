import { fastifyMultipart, type FastifyMultipartOptions } from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';

/** The request hooks @fastify/multipart adds for its disk mode, which this API does not use. */
const DISK_MODE_HOOKS = new Set(['onRequest', 'onResponse']);
const DISK_MODE_DECORATORS = new Set(['saveRequestFiles']);

/**
 * @fastify/multipart in streaming mode only: upload routes read `request.parts()` with their own
 * limits and never save files to disk. The plugin's disk mode (`saveRequestFiles`) adds an
 * onRequest and an onResponse hook to every route of the app, predictions included, only to delete
 * the temporary files it saved; side by side, dropping them saved ~7 % of a one-row predict's CPU.
 * So the plugin is given a view of the app that keeps those two hooks out, and `saveRequestFiles`
 * throws (files saved without their clean-up would be left on disk). Everything else (the parser,
 * `parts()`, `file()`, `isMultipart()`) is the plugin's own, registered on the app as usual.
 *
 * Returns the hooks it kept out, so a plugin upgrade that adds or renames one fails a test.
 */
export async function installStreamingMultipart(fastify: FastifyInstance, options: FastifyMultipartOptions): Promise<string[]> {
  const keptOut: string[] = [];
  const addHook = (name: string, hook: unknown) => {
    if (DISK_MODE_HOOKS.has(name)) keptOut.push(name);
    else (fastify.addHook as (name: string, hook: unknown) => void)(name, hook);
    return view;
  };
  const decorateRequest = (name: string, value: unknown) => {
    fastify.decorateRequest(name, DISK_MODE_DECORATORS.has(name) ? diskModeRefused : value);
    return view;
  };
  // Everything else runs on the app itself (its decorators, the content-type parser: the app's own).
  const view: FastifyInstance = new Proxy(fastify, {
    get(target, property) {
      if (property === 'addHook') return addHook;
      if (property === 'decorateRequest') return decorateRequest;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  // Called as Fastify calls a plugin (it is one that shares the app's scope: fastify-plugin's).
  await new Promise<void>((resolve, reject) => fastifyMultipart(view, options, (err) => (err ? reject(err) : resolve())));
  return keptOut;
}

function diskModeRefused(): never {
  throw new Error('saveRequestFiles is not available: this API reads uploads as streams (request.parts()) and cleans no saved files');
}
