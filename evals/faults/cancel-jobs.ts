/** Cancels every queued or running job of the store the environment configures (bench clean-up). */
import { loadConfig } from '../../core/config.js';
import { Store } from '../../pipeline/index/store.js';
import { JobRunner } from '../../pipeline/jobs/runner.js';

const config = loadConfig();
const store = await Store.open(config.dbUri);
const runner = await JobRunner.open(config, store);
for (const j of await runner.list(1000)) if (j.status === 'running' || j.status === 'queued') await runner.cancel(j.id, 2000).catch(() => undefined);
await store.close();
