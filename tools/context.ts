import type { Config } from '../core/config.js';
import type { Store } from '../pipeline/index/store.js';
import type { ClipEncoder } from '../pipeline/models/encoder.js';
import { ModelRegistry } from '../pipeline/models/registry.js';
import { cachingProposer, openProposer, type Proposer } from '../pipeline/detect/proposer.js';
import type { ToolContext } from './tool.js';

/**
 * A ToolContext over a store, opening encoders lazily and caching them per model;
 * `close()` releases them (the store belongs to the caller).
 */
export function createToolContext(config: Config, store: () => Promise<Store>, signal?: AbortSignal): ToolContext & { close(): Promise<void> } {
  const encoders = new Map<string, Promise<ClipEncoder>>();
  let proposer: Promise<Proposer> | null = null;
  const registry = new ModelRegistry(config.dataDir);
  return {
    config,
    store,
    ...(signal ? { signal } : {}),
    encoder(model) {
      const key = model ?? config.models.active ?? '';
      let e = encoders.get(key);
      if (!e) {
        e = registry.openEncoder(model ?? config.models.active, ModelRegistry.encoderOptions(config.models));
        encoders.set(key, e);
      }
      return e;
    },
    proposer() {
      proposer ??= openProposer(undefined, { ...ModelRegistry.encoderOptions(config.models), kind: config.detect.proposals }).then((p) => cachingProposer(p));
      return proposer;
    },
    async close() {
      const p = proposer;
      proposer = null;
      await (await p?.catch(() => null))?.close();
      for (const e of encoders.values()) await (await e.catch(() => null))?.close();
      encoders.clear();
    },
  };
}
