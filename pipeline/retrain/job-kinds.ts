import { registerJobKind } from '../jobs/worker.js';

/** Registers the training job kinds with the job worker (called by the CLI before it runs a job). */
export function registerRetrainJobKinds(): void {
  registerJobKind('train', async () => (await import('./train-job.js')).runTrainJob);
  registerJobKind('evaluate', async () => (await import('./train-job.js')).runEvaluateJob);
}
